/*
 * intr.c - interrupt delivery, descriptor loads and iret for the
 * instruction fallback (SDM vol. 3: 3.4.5 segment descriptors, 6.12.1
 * protection, 6.14 64-bit mode interrupts, 7.7 the 64-bit TSS, 6.15 table
 * 6-5 for double faults; vol. 2 "IRET" for the return).
 */
#include "vmm/emu/intr.h"
#include "vmm/emu/mmu.h"

#include <stdio.h>
#include <string.h>

#define GATE_INTR 0xe
#define GATE_TRAP 0xf

/* Turns an 8-byte GDT descriptor into KVM's segment layout. */
static void descriptor_to_segment(uint64_t d, uint16_t selector, struct kvm_segment *s)
{
	uint32_t limit = (d & 0xffff) | ((d >> 32) & 0xf0000);

	memset(s, 0, sizeof(*s));
	s->selector = selector;
	s->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	s->limit = s->g ? (limit << 12) | 0xfff : limit;
}

/* Whether selector names a GDT entry: not null, not in the LDT, within the limit. */
static bool in_gdt(const struct emu_cpu *c, uint32_t selector)
{
	return (selector & ~3u) != 0 && !(selector & 4) && (selector | 7) <= c->sregs.gdt.limit;
}

int emu_load_descriptor(struct emu_cpu *c, uint16_t selector, bool ext, struct kvm_segment *seg)
{
	uint32_t err = (selector & ~3u) | ext;
	uint64_t d;
	int r;

	if (!in_gdt(c, selector))
		return emu_raise(c, X86_EXC_GP, true, (selector & ~3u) ? err : ext);
	r = emu_read_linear(c, c->sregs.gdt.base + (selector & ~7u), &d, 8, EMU_ACC_SV);
	if (r)
		return r;
	descriptor_to_segment(d, selector, seg);
	return EMU_OK;
}

/* Reads an 8-byte stack pointer from the 64-bit TSS at offset off. */
static int tss_read_rsp(struct emu_cpu *c, unsigned off, bool ext, uint64_t *rsp)
{
	if (off + 7 > c->sregs.tr.limit)
		return emu_raise(c, X86_EXC_TS, true, (c->sregs.tr.selector & ~3u) | ext);
	return emu_read_linear(c, c->sregs.tr.base + off, rsp, 8, EMU_ACC_SV);
}

static bool same_code_segment(const struct kvm_segment *a, const struct kvm_segment *b)
{
	return a->selector == b->selector && a->base == b->base && a->limit == b->limit &&
	       a->type == b->type && a->present == b->present && a->dpl == b->dpl &&
	       a->db == b->db && a->s == b->s && a->l == b->l && a->g == b->g;
}

/* Faults whose pushed RFLAGS carries RF = 1 (SDM vol. 3, 17.3.1.1). */
static bool is_fault_class(uint8_t v)
{
	return v == 0 || (v >= 5 && v <= 7) || (v >= 10 && v <= 14) || v == 16 ||
	       v == 17 || v == 19 || v == 21;
}

int emu_interrupt64(struct emu_cpu *c, uint8_t vector, enum emu_event_kind kind,
		    bool has_error, uint32_t error, uint64_t return_rip)
{
	bool ext = kind == EMU_EV_EXCEPTION;
	uint32_t idt_err = vector * 8u + 2 + ext;
	unsigned cpl = emu_cpl(c), new_cpl;
	uint64_t gate[2], target, rsp, frame[6], rflags;
	struct kvm_segment cs;
	unsigned type, dpl, ist, n = 0;
	int r;

	if (vector * 16u + 15 > c->sregs.idt.limit)
		return emu_raise(c, X86_EXC_GP, true, idt_err);
	r = emu_read_linear(c, c->sregs.idt.base + vector * 16u, gate, 16, EMU_ACC_SV);
	if (r)
		return r;
	type = (gate[0] >> 40) & 0xf;
	dpl = (gate[0] >> 45) & 3;
	ist = (gate[0] >> 32) & 7;
	target = (gate[0] & 0xffff) | (((gate[0] >> 48) & 0xffff) << 16) | (gate[1] << 32);
	if (type != GATE_INTR && type != GATE_TRAP)
		return emu_raise(c, X86_EXC_GP, true, idt_err);
	if (kind == EMU_EV_SOFT && dpl < cpl)
		return emu_raise(c, X86_EXC_GP, true, idt_err);
	if (!((gate[0] >> 47) & 1))
		return emu_raise(c, X86_EXC_NP, true, idt_err);

	r = emu_load_descriptor(c, (gate[0] >> 16) & 0xffff, ext, &cs);
	if (r)
		return r;
	if (!cs.s || !(cs.type & 8) || !cs.l || cs.db || cs.dpl > cpl)
		return emu_raise(c, X86_EXC_GP, true, (cs.selector & ~3u) | ext);
	if (!cs.present)
		return emu_raise(c, X86_EXC_NP, true, (cs.selector & ~3u) | ext);
	cs.type |= 1;	/* loading marks the segment accessed */
	new_cpl = (cs.type & 4) ? cpl : cs.dpl;	/* conforming code keeps CPL */

	rsp = c->regs.rsp;
	if (new_cpl < cpl) {
		r = tss_read_rsp(c, 4 + 8 * new_cpl, ext, &rsp);
		if (r)
			return r;
	}
	if (ist) {
		r = tss_read_rsp(c, 0x24 + 8 * (ist - 1), ext, &rsp);
		if (r)
			return r;
	}
	rsp &= ~15ull;

	rflags = c->regs.rflags;
	if (kind == EMU_EV_EXCEPTION && is_fault_class(vector))
		rflags |= X86_FL_RF;
	if (has_error)
		frame[n++] = error;
	frame[n++] = return_rip;
	frame[n++] = c->sregs.cs.selector;
	frame[n++] = rflags;
	frame[n++] = c->regs.rsp;
	frame[n++] = c->sregs.ss.selector;
	/*
	 * Hardware pushes SS first, so a stack fault reports the top slot in
	 * CR2: probe it before writing the frame in one go.
	 */
	r = emu_translate(c, rsp - 8, EMU_ACC_WRITE | EMU_ACC_SV, &(uint64_t){ 0 });
	if (r)
		return r;
	rsp -= n * 8;
	r = emu_write_linear(c, rsp, frame, n * 8, EMU_ACC_SV);
	if (r)
		return r;

	/* Commit: nothing above changed the vCPU state. */
	cs.selector = (cs.selector & ~3u) | new_cpl;
	cs.dpl = (cs.type & 4) ? cs.dpl : new_cpl;
	/* Same selector and attributes (the usual ring-0 int3): no KVM_SET_SREGS needed. */
	if (!same_code_segment(&c->sregs.cs, &cs) || new_cpl < cpl)
		c->sregs_dirty = true;
	c->sregs.cs = cs;
	if (new_cpl < cpl) {
		/* 64-bit mode loads SS with a null selector whose RPL is the new CPL. */
		c->sregs.ss.selector = new_cpl;
		c->sregs.ss.dpl = new_cpl;
	}
	c->regs.rsp = rsp;
	c->regs.rip = target;
	c->regs.rflags &= ~(X86_FL_TF | X86_FL_NT | X86_FL_RF | X86_FL_VM);
	if (type == GATE_INTR)
		c->regs.rflags &= ~X86_FL_IF;
	return EMU_OK;
}

static bool contributory(uint8_t v)
{
	return v == 0 || (v >= 10 && v <= 13);
}

int emu_deliver_fault(struct emu_cpu *c, uint64_t fault_rip)
{
	for (int depth = 0; depth < 4; depth++) {
		struct emu_fault f = c->fault;
		int r;

		c->fault.pending = false;
		if (f.vector == X86_EXC_PF) {
			c->sregs.cr2 = f.cr2;
			c->sregs_dirty = true;
		}
		r = emu_interrupt64(c, f.vector, EMU_EV_EXCEPTION, f.has_error, f.error, fault_rip);
		if (r != EMU_EXCEPTION)
			return r;
		uint8_t second = c->fault.vector;
		if (f.vector == X86_EXC_DF) {
			snprintf(c->why, sizeof(c->why),
				 "triple fault: exception %u while delivering a double fault", second);
			return EMU_FAIL;
		}
		if ((contributory(f.vector) && contributory(second)) ||
		    (f.vector == X86_EXC_PF && (second == X86_EXC_PF || contributory(second))))
			emu_raise(c, X86_EXC_DF, true, 0);
		/* otherwise the second exception is delivered on its own */
	}
	snprintf(c->why, sizeof(c->why), "exceptions nest too deeply");
	return EMU_FAIL;
}

/* Pops one opsize-wide value from SS:(E)SP into *v, advancing *sp. */
static int pop_legacy(struct emu_cpu *c, uint32_t *sp, unsigned opsize, uint32_t *v)
{
	uint32_t mask = c->sregs.ss.db ? 0xffffffffu : 0xffffu;
	uint64_t la = (c->sregs.ss.base + (*sp & mask)) & 0xffffffffull;
	int r;

	*v = 0;
	r = emu_read_linear(c, la, v, opsize, 0);
	if (r)
		return r;
	*sp = (*sp & ~mask) | ((*sp + opsize) & mask);
	return EMU_OK;
}

/*
 * Whether eip, sel and fl could be an interrupt frame this iret may return
 * through: a present code segment in the GDT that the return's privilege
 * rules accept, EIP inside it, and EFLAGS with bit 1 set and its reserved
 * bits (3, 5, 15, 22-31) clear.  Reads the GDT without raising anything.
 */
static bool frame_plausible(struct emu_cpu *c, uint32_t eip, uint32_t sel, uint32_t fl)
{
	struct emu_fault saved = c->fault;
	struct kvm_segment cs;
	unsigned rpl = sel & 3, cpl = emu_cpl(c);
	uint64_t d;
	bool ok;

	if ((sel & 0xffff) != sel || !in_gdt(c, sel))
		return false;
	ok = emu_read_linear(c, c->sregs.gdt.base + (sel & ~7u), &d, 8, EMU_ACC_SV) == EMU_OK;
	c->fault = saved;
	if (!ok)
		return false;
	descriptor_to_segment(d, sel, &cs);
	if (!cs.s || !(cs.type & 8) || !cs.present || rpl < cpl ||
	    ((cs.type & 4) ? cs.dpl > rpl : cs.dpl != rpl))
		return false;
	return eip <= cs.limit && (fl & 2) && !(fl & 0xffc08028u);
}

/*
 * This host's KVM pushes a 32-bit protected-mode interrupt frame at the
 * linear address ESP, leaving out the SS base (measured with a two-line
 * guest: docs/HOST-KVM.md).  Flat guests never notice; iPXE, whose stack
 * segment is based at its relocation offset, returns through stale stack
 * words and dies.  So when SS has a base and the words where the frame
 * belongs are not a frame this iret could take, but the words at linear
 * ESP are, the frame is taken from there and counted.  A frame that guest
 * software built itself is where the SDM says, and is found first.
 */
static bool misplaced_frame(struct emu_cpu *c, unsigned opsize, uint32_t eip, uint32_t sel,
			    uint32_t fl, uint32_t frame[3])
{
	struct emu_fault saved = c->fault;
	uint32_t sp = (uint32_t)c->regs.rsp;
	bool ok;

	if (opsize != 4 || c->sregs.ss.base == 0 || !c->sregs.ss.db ||
	    frame_plausible(c, eip, sel, fl))
		return false;
	ok = emu_read_linear(c, sp, frame, 12, 0) == EMU_OK;
	c->fault = saved;
	return ok && frame_plausible(c, frame[0], frame[1], frame[2]);
}

int emu_iret_legacy(struct emu_cpu *c, unsigned opsize)
{
	unsigned cpl = emu_cpl(c);
	uint32_t sp = (uint32_t)c->regs.rsp, eip, sel, fl, new_sp = 0, new_ss = 0, frame[3];
	struct kvm_segment cs, ss;
	uint64_t changeable;
	int r;

	if (c->regs.rflags & (X86_FL_NT | X86_FL_VM)) {
		snprintf(c->why, sizeof(c->why), "iret: task return or virtual-8086 mode not supported");
		return EMU_FAIL;
	}
	if ((r = pop_legacy(c, &sp, opsize, &eip)) || (r = pop_legacy(c, &sp, opsize, &sel)) ||
	    (r = pop_legacy(c, &sp, opsize, &fl)))
		return r;
	if (misplaced_frame(c, opsize, eip, sel, fl, frame)) {
		eip = frame[0];
		sel = frame[1];
		fl = frame[2];
		c->misplaced_frame = true;
	}
	if (opsize == 4 && (fl & X86_FL_VM)) {
		snprintf(c->why, sizeof(c->why), "iret: return to virtual-8086 mode not supported");
		return EMU_FAIL;
	}
	r = emu_load_descriptor(c, sel & 0xffff, false, &cs);
	if (r)
		return r;
	if (!cs.s || !(cs.type & 8) || (sel & 3) < cpl)
		return emu_raise(c, X86_EXC_GP, true, sel & 0xfffc);
	if (!cs.present)
		return emu_raise(c, X86_EXC_NP, true, sel & 0xfffc);
	cs.type |= 1;
	ss = c->sregs.ss;
	if ((sel & 3) > cpl) {
		/* Return to an outer level: ESP and SS follow on the stack. */
		if ((r = pop_legacy(c, &sp, opsize, &new_sp)) ||
		    (r = pop_legacy(c, &sp, opsize, &new_ss)))
			return r;
		r = emu_load_descriptor(c, new_ss & 0xffff, false, &ss);
		if (r)
			return r;
		if ((new_ss & 3) != (sel & 3) || ss.dpl != (sel & 3) || !ss.s || (ss.type & 0xa) != 2)
			return emu_raise(c, X86_EXC_GP, true, new_ss & 0xfffc);
		if (!ss.present)
			return emu_raise(c, X86_EXC_SS, true, new_ss & 0xfffc);
		ss.type |= 1;
	}

	/* Which flags the return may change (SDM vol. 2, IRET: IOPL at CPL 0, IF at CPL <= IOPL). */
	changeable = 0x3f7fd5ull & ~(X86_FL_VM | (3ull << 19));	/* not VM, VIF, VIP */
	if (cpl > 0)
		changeable &= ~(3ull << 12);
	if (cpl > ((c->regs.rflags >> 12) & 3))
		changeable &= ~X86_FL_IF;
	if (opsize == 2)
		changeable &= 0xffff;
	c->regs.rflags = (c->regs.rflags & ~changeable) | (fl & changeable) | 2;
	c->regs.rip = opsize == 2 ? (eip & 0xffff) : eip;
	c->sregs.cs = cs;
	if ((sel & 3) > cpl) {
		c->sregs.ss = ss;
		c->regs.rsp = new_sp;
	} else {
		c->regs.rsp = (c->regs.rsp & ~0xffffffffull) | sp;
	}
	c->sregs_dirty = true;
	return EMU_OK;
}
