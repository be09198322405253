/* SPDX-License-Identifier: ISC */
/*
 * sqlvfs.h — SQLite under the sandbox.  SQLite turns every database name
 * into an absolute path (and resolves its symbolic links) before it opens
 * it; a child of serve, confined to its data directory (its working
 * directory) as a user who may not search the directories above it,
 * could then open no database at all.  rp_sqlvfs_relative() registers, as
 * the default, a VFS that is SQLite's own but for one thing: a relative
 * name stays relative, so it is opened from the working directory.
 */
#ifndef RP_SQLVFS_H
#define RP_SQLVFS_H

/* Once per process, before the first sqlite3_open.  0 or RP_E_STATE. */
int rp_sqlvfs_relative(void);

#endif
