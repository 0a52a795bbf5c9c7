/* walk.h -- PATH arguments to an ordered list of files (see walk.c). */
#ifndef RA_WALK_H
#define RA_WALK_H

#include "common/ra.h"

struct ra_walk_item {
    char *path;
    char *error; /* set when the path cannot be read: reported, not fatal */
};

struct ra_walk {
    struct ra_walk_item *items;
    size_t n;
    char **warnings; /* symlink loops and the like */
    size_t nwarn;
};

/* Expand paths ("-" = stdin) in order. Never fails: unreadable paths are
 * items with an error. Release with ra_walk_release. */
void ra_walk_paths(struct ra_walk *w, char *const *paths, size_t n);
void ra_walk_release(struct ra_walk *w);

#endif
