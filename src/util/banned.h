/* SPDX-License-Identifier: ISC */
/*
 * banned.h — functions rentport code must not call.  Included last by
 * util/common.h so that it never rewrites a system header's declaration; a
 * call to any of these becomes a compile error naming the reason.
 */
#ifndef RP_BANNED_H
#define RP_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_rentport

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)		/* use rp_buf / memcpy with a length */
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)		/* use snprintf or rp_buf_printf */
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef localtime
#define localtime(t) BANNED(localtime)		/* not thread-safe: localtime_r */
#undef gmtime
#define gmtime(t) BANNED(gmtime)		/* gmtime_r */
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)			/* no error reporting: rp_parse_u64 */

#endif
