/*
 * x86_arch.h - architectural x86 constants: exception vectors, RFLAGS,
 * CR0/CR4/EFER bits, page-table entry bits and the #PF error code.
 *
 * One definition for everything in vmm/ that sets or reads CPU state: the
 * boot state (vcpu.c), the boot page tables (boot.c) and the instruction
 * fallback (vmm/emu/).  The numbers are the SDM's; the section is named
 * beside each group.
 */
#ifndef MINIVMM_X86_ARCH_H
#define MINIVMM_X86_ARCH_H

/* Exception vectors (SDM vol. 3, table 6-1). */
enum {
	X86_EXC_DB = 1, X86_EXC_UD = 6, X86_EXC_NM = 7, X86_EXC_DF = 8,
	X86_EXC_TS = 10, X86_EXC_NP = 11, X86_EXC_SS = 12, X86_EXC_GP = 13,
	X86_EXC_PF = 14, X86_EXC_MF = 16, X86_EXC_AC = 17,
};

/* RFLAGS bits (SDM vol. 1, 3.4.3); bit 1 always reads as 1. */
#define X86_FL_CF   (1ull << 0)
#define X86_FL_FIXED (1ull << 1)
#define X86_FL_PF   (1ull << 2)
#define X86_FL_AF   (1ull << 4)
#define X86_FL_ZF   (1ull << 6)
#define X86_FL_SF   (1ull << 7)
#define X86_FL_TF   (1ull << 8)
#define X86_FL_IF   (1ull << 9)
#define X86_FL_OF   (1ull << 11)
#define X86_FL_NT   (1ull << 14)
#define X86_FL_RF   (1ull << 16)
#define X86_FL_VM   (1ull << 17)
#define X86_FL_AC   (1ull << 18)

/* Control registers and EFER (SDM vol. 3, 2.5 and 2.2.1). */
#define X86_CR0_PE  (1ull << 0)
#define X86_CR0_MP  (1ull << 1)
#define X86_CR0_EM  (1ull << 2)
#define X86_CR0_TS  (1ull << 3)
#define X86_CR0_ET  (1ull << 4)
#define X86_CR0_WP  (1ull << 16)
#define X86_CR0_PG  (1ull << 31)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_OSFXSR (1ull << 9)
#define X86_CR4_LA57 (1ull << 12)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

/* Page-table entry bits (SDM vol. 3, 4.5). */
#define X86_PTE_P   (1ull << 0)
#define X86_PTE_RW  (1ull << 1)
#define X86_PTE_US  (1ull << 2)
#define X86_PTE_A   (1ull << 5)
#define X86_PTE_D   (1ull << 6)
#define X86_PTE_PS  (1ull << 7)	/* a large page (PDE, PDPTE) */
#define X86_PTE_NX  (1ull << 63)
#define X86_PTE_ADDR 0x000ffffffffff000ull

/* #PF error code bits (SDM vol. 3, figure 4-12). */
#define X86_PF_P    0x01u
#define X86_PF_W    0x02u
#define X86_PF_U    0x04u
#define X86_PF_RSVD 0x08u
#define X86_PF_I    0x10u

#endif
