/* skkdece._heads: the row loops on vectors of four doubles: AVX2 with fused multiply-adds.
 * _heads.c runs them only on a processor that has those units. */
#include "_heads.h"

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), \
                             apply_to = function)
#elif defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#endif

#define ROWS 4
#include "_heads_rows.h"

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute pop
#endif
