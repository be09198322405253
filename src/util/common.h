/* SPDX-License-Identifier: ISC */
/*
 * common.h — included first by every rentport .c file: the C library headers
 * nearly everything uses, the error codes, then banned.h (last, so that it
 * only affects our code).
 */
#ifndef RP_COMMON_H
#define RP_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/errors.h"

#define RP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include "util/banned.h"

#endif
