/* skkdece._heads: the row loops on vectors of two doubles, for the
 * baseline of the target: SSE2 on x86-64, NEON on 64-bit ARM. */
#include "_heads.h"

#define ROWS 2
#include "_heads_rows.h"
