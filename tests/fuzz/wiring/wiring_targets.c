/*
 * wiring_targets.c - fuzz targets that fail on purpose, one per kind of
 * failure tests/fuzz/run.sh must report, so t_fuzz_quick.sh can show that
 * `make fuzz-quick` (and so `make check`) really fails on a crash.  Built
 * once per kind with -DKIND=...; each misbehaves only on inputs that start
 * with "BOOM" (its seed), so the failure shows within the first run.
 * Not in tests/fuzz/fuzz_*.c: they are not part of the fuzz suite.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_OVERFLOW 1
#define SIGNED_OVERFLOW 2
#define LEAK 3
#define CLEAN 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || memcmp(data, "BOOM", 4) != 0)
		return 0;
#if KIND == HEAP_OVERFLOW
	{
		volatile uint8_t *p = malloc(4);
		p[size] = 1;		/* ASan: heap-buffer-overflow */
		free((void *)p);
	}
#elif KIND == SIGNED_OVERFLOW
	{
		volatile int x = 0x7fffffff;
		x += (int)size;		/* UBSan: signed integer overflow */
	}
#elif KIND == LEAK
	{
		void *volatile p = malloc(64 + size);
		(void)p;		/* LeakSanitizer */
	}
#endif
	return 0;
}
