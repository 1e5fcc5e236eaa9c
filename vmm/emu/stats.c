/*
 * stats.c - the fallback's counters: summed over the vCPUs at exit and
 * printed with -v.
 */
#include "vmm/emu/emu.h"
#include "common/log.h"

void emu_stats_add(struct emu_stats *total, const struct emu_stats *one)
{
	for (int i = 0; i < EMU_N_CLASSES; i++)
		total->count[i] += one->count[i];
	total->faults += one->faults;
	total->failures += one->failures;
	total->retried += one->retried;
	total->misplaced_frames += one->misplaced_frames;
}

void emu_stats_print(const struct emu_stats *stats, FILE *out)
{
	for (int i = 0; i < EMU_N_CLASSES; i++)
		if (stats->count[i])
			fprintf(out, "emulated: %-20s %lu%s", emu_class_name(i), stats->count[i], log_eol());
	if (stats->faults)
		fprintf(out, "emulated: %-20s %lu%s", "faults delivered", stats->faults, log_eol());
	if (stats->failures)
		fprintf(out, "emulated: %-20s %lu%s", "failures", stats->failures, log_eol());
	if (stats->misplaced_frames)
		fprintf(out, "emulated: %-20s %lu%s", "iret frames at ESP", stats->misplaced_frames, log_eol());
	if (stats->retried)
		fprintf(out, "emulated: %-20s %lu%s", "handed back to KVM", stats->retried, log_eol());
}
