/* walk.c -- expands the PATH arguments of ingest into files: directories
 * recursively (dotfiles skipped, symlinks followed once, loops detected),
 * rotated files oldest first: x.10.gz ... x.2.gz, x.1, x; date suffixes in
 * date order.
 */
#include "ingest/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct entry {
    char *path;
    char *base; /* name without .gz and rotation suffix */
    int cls;    /* 0 numbered, 1 dated, 2 current */
    long num;
    char date[16];
};

static void
rotation_key(struct entry *e)
{
    const char *name = strrchr(e->path, '/');
    name = name ? name + 1 : e->path;
    size_t n = strlen(name);
    if (n > 3 && !strcmp(name + n - 3, ".gz"))
        n -= 3;
    e->cls = 2;
    /* x.N */
    size_t i = n;
    while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
        i--;
    if (i < n && i > 1 && name[i - 1] == '.' && n - i <= 6) {
        e->cls = 0;
        e->num = strtol(name + i, NULL, 10);
        n = i - 1;
    } else if (i < n && i > 1 && (name[i - 1] == '-' || name[i - 1] == '.') &&
               n - i == 8) {
        /* x-20261124 or x.20261124 */
        e->cls = 1;
        memcpy(e->date, name + i, 8);
        n = i - 1;
    } else if (n >= 11) {
        /* x-2026-11-24 or x.2026-11-24 */
        const char *d = name + n - 10;
        if (d[4] == '-' && d[7] == '-' && (d[-1] == '-' || d[-1] == '.')) {
            int ok = 1;
            for (int k = 0; k < 10; k++)
                if (k != 4 && k != 7 && (d[k] < '0' || d[k] > '9'))
                    ok = 0;
            if (ok) {
                e->cls = 1;
                memcpy(e->date, d, 4);
                memcpy(e->date + 4, d + 5, 2);
                memcpy(e->date + 6, d + 8, 2);
                n -= 11;
            }
        }
    }
    size_t dir = (size_t)(name - e->path);
    e->base = xstrndup(e->path, dir + n);
}

static int
cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    if (c)
        return c;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->cls == 0)
        return x->num > y->num ? -1 : x->num < y->num;
    if (x->cls == 1)
        return strcmp(x->date, y->date);
    return strcmp(x->path, y->path);
}

struct visited {
    dev_t *dev;
    ino_t *ino;
    size_t n;
};

static int
seen(struct visited *v, const struct stat *st)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->dev[i] == st->st_dev && v->ino[i] == st->st_ino)
            return 1;
    v->dev = xrealloc(v->dev, (v->n + 1) * sizeof *v->dev);
    v->ino = xrealloc(v->ino, (v->n + 1) * sizeof *v->ino);
    v->dev[v->n] = st->st_dev;
    v->ino[v->n++] = st->st_ino;
    return 0;
}

static void
add(struct ra_walk *w, const char *path, const char *error)
{
    w->items = xrealloc(w->items, (w->n + 1) * sizeof *w->items);
    w->items[w->n].path = xstrdup(path);
    w->items[w->n].error = error ? xstrdup(error) : NULL;
    w->n++;
}

static void
warn(struct ra_walk *w, struct ra_buf *m)
{
    w->warnings = xrealloc(w->warnings, (w->nwarn + 1) * sizeof(char *));
    w->warnings[w->nwarn++] = xstrdup(m->data);
    ra_buf_release(m);
}

static void
walk_dir(struct ra_walk *w, const char *dir, struct visited *v)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct entry *ents = NULL;
    size_t n = 0;
    char **subdirs = NULL;
    size_t nsub = 0;

    if (!d) {
        struct ra_buf m = RA_BUF_INIT;
        ra_buf_addf(&m, "cannot open directory '%s': %s", dir,
                    strerror(errno));
        add(w, dir, m.data);
        ra_buf_release(&m);
        return;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        struct ra_buf p = RA_BUF_INIT;
        struct stat st;
        ra_buf_addf(&p, "%s/%s", dir, de->d_name);
        if (stat(p.data, &st) != 0) {
            struct ra_buf m = RA_BUF_INIT;
            ra_buf_addf(&m, "cannot read '%s': %s", p.data, strerror(errno));
            add(w, p.data, m.data);
            ra_buf_release(&m);
        } else if (S_ISDIR(st.st_mode)) {
            if (seen(v, &st)) {
                struct ra_buf m = RA_BUF_INIT;
                ra_buf_addf(&m, "'%s' loops back to a directory already "
                                "walked; not followed",
                            p.data);
                warn(w, &m);
            } else {
                subdirs = xrealloc(subdirs, (nsub + 1) * sizeof *subdirs);
                subdirs[nsub++] = xstrdup(p.data);
            }
        } else if (S_ISREG(st.st_mode)) {
            ents = xrealloc(ents, (n + 1) * sizeof *ents);
            memset(&ents[n], 0, sizeof ents[n]);
            ents[n].path = xstrdup(p.data);
            rotation_key(&ents[n]);
            n++;
        }
        ra_buf_release(&p);
    }
    closedir(d);
    if (n)
        qsort(ents, n, sizeof *ents, cmp_entry);
    for (size_t i = 0; i < n; i++) {
        add(w, ents[i].path, NULL);
        free(ents[i].path);
        free(ents[i].base);
    }
    free(ents);
    for (size_t i = 0; i < nsub; i++)
        for (size_t j = i + 1; j < nsub; j++)
            if (strcmp(subdirs[i], subdirs[j]) > 0) {
                char *t = subdirs[i];
                subdirs[i] = subdirs[j];
                subdirs[j] = t;
            }
    for (size_t i = 0; i < nsub; i++) {
        walk_dir(w, subdirs[i], v);
        free(subdirs[i]);
    }
    free(subdirs);
}

void
ra_walk_paths(struct ra_walk *w, char *const *paths, size_t n)
{
    struct visited v = {0};
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (!strcmp(paths[i], "-")) {
            add(w, "-", NULL);
        } else if (stat(paths[i], &st) != 0) {
            struct ra_buf m = RA_BUF_INIT;
            ra_buf_addf(&m, "cannot open '%s': %s", paths[i],
                        strerror(errno));
            add(w, paths[i], m.data);
            ra_buf_release(&m);
        } else if (S_ISDIR(st.st_mode)) {
            seen(&v, &st);
            size_t l = strlen(paths[i]), before = w->n;
            char *d = xstrdup(paths[i]);
            while (l > 1 && d[l - 1] == '/')
                d[--l] = '\0';
            walk_dir(w, d, &v);
            if (w->n == before) {
                struct ra_buf m = RA_BUF_INIT;
                ra_buf_addf(&m, "'%s' holds no file to read (names starting "
                                "with '.' are skipped)",
                            d);
                warn(w, &m);
            }
            free(d);
        } else {
            add(w, paths[i], NULL);
        }
    }
    free(v.dev);
    free(v.ino);
}

void
ra_walk_release(struct ra_walk *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->items[i].path);
        free(w->items[i].error);
    }
    for (size_t i = 0; i < w->nwarn; i++)
        free(w->warnings[i]);
    free(w->warnings);
    free(w->items);
    memset(w, 0, sizeof *w);
}
