/* SPDX-License-Identifier: ISC */
/*
 * seed_tables.h — built-in tables for synthetic data (seed_tables.c):
 * common Japanese family and given names (kanji, kana, romaji), places
 * (prefecture, city, postal prefix), town names, departments.  Written
 * for rentport from general knowledge of common names: no list of real
 * people; names are combined at random, so any match is coincidence.
 * Private to src/seed/.
 */
#ifndef RP_SEED_TABLES_H
#define RP_SEED_TABLES_H

#include <stddef.h>

struct seed_name {
	const char *kanji, *kana, *romaji;
};

struct seed_place {
	const char *prefecture;
	const char *city;
	int postal;		/* first three digits of the postal code */
};

extern const struct seed_name seed_family[];
extern const size_t seed_nfamily;
extern const struct seed_name seed_given_m[];
extern const size_t seed_ngiven_m;
extern const struct seed_name seed_given_f[];
extern const size_t seed_ngiven_f;
extern const struct seed_place seed_places[];
extern const size_t seed_nplaces;
extern const char *const seed_towns[];
extern const size_t seed_ntowns;
extern const char *const seed_buildings[];
extern const size_t seed_nbuildings;
extern const char *const seed_departments[];
extern const size_t seed_ndepartments;

#endif
