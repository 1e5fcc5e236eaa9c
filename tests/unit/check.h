/*
 * check.h - the unit tests' tiny harness.
 *
 * TEST(name) defines a case; CHECK(cond) records a failure with its line and
 * goes on; RUN_TESTS() in main() runs every registered case and prints the
 * closing "N passed, N failed, N skipped" line CI reads.  A case passes when
 * none of its CHECKs failed; SKIP("why") ends a case that cannot run on this
 * machine (no /dev/kvm, not root) and counts it as skipped, with the reason.
 */
#ifndef MINIVMM_CHECK_H
#define MINIVMM_CHECK_H

#include <stdio.h>
#include <string.h>

/*
 * Each TEST owns its registry entry (a static struct), and a constructor
 * links it at the tail of one list: there is no capacity, so no case can be
 * dropped however many a program defines, and they run in source order.
 */
struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

extern struct test_case *test_first_, **test_tail_;
extern int test_failed_checks_, test_skipped_;

#define TEST(name)                                                         \
	static void test_##name(void);                                     \
	__attribute__((constructor)) static void register_##name(void)     \
	{                                                                  \
		static struct test_case entry = { #name, test_##name, NULL }; \
		*test_tail_ = &entry;                                      \
		test_tail_ = &entry.next;                                  \
	}                                                                  \
	static void test_##name(void)

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			test_failed_checks_++;                             \
			printf("    %s:%d: CHECK(%s) failed\n", __FILE__,  \
			       __LINE__, #cond);                           \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);        \
		if (a_ != b_) {                                            \
			test_failed_checks_++;                             \
			printf("    %s:%d: %s == %s failed: %lld != %lld\n",   \
			       __FILE__, __LINE__, #a, #b, a_, b_);        \
		}                                                          \
	} while (0)

#define SKIP(why)                                                          \
	do {                                                               \
		printf("    skip: %s\n", (why));                             \
		test_skipped_ = 1;                                         \
		return;                                                    \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

/* Defines the registry and main(); include in exactly one file per binary. */
#define RUN_TESTS()                                                        \
	struct test_case *test_first_, **test_tail_ = &test_first_;        \
	int test_failed_checks_, test_skipped_;                            \
	int main(void)                                                     \
	{                                                                  \
		int passed = 0, failed = 0, skipped = 0;                   \
		setvbuf(stdout, NULL, _IOLBF, 0);                          \
		for (struct test_case *tc = test_first_; tc; tc = tc->next) { \
			int before = test_failed_checks_;                  \
			test_skipped_ = 0;                                 \
			tc->fn();                                          \
			if (test_failed_checks_ == before && test_skipped_) { \
				skipped++;                                 \
				printf("skip %s\n", tc->name);             \
			} else if (test_failed_checks_ == before) {        \
				passed++;                                  \
				printf("ok   %s\n", tc->name);             \
			} else {                                           \
				failed++;                                  \
				printf("FAIL %s\n", tc->name);             \
			}                                                  \
		}                                                          \
		printf("%d passed, %d failed, %d skipped\n", passed, failed, \
		       skipped);                                           \
		return failed ? 1 : 0;                                     \
	}

#endif
