/* skkdece._heads: the row loops on vectors of eight doubles: AVX-512.
 * _heads.c runs them only on a processor that has those units. */
#include "_heads.h"

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), \
                             apply_to = function)
#elif defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx512f,avx2,fma")
#endif

#define ROWS 8
#include "_heads_rows.h"

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute pop
#endif
