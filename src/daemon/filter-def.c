/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "filter.h"

void regex_def_done(RegexDef *r) {
        if (!r)
                return;

        free(r->pattern);
        r->pattern = NULL;
        free(r->file);
        r->file = NULL;
        r->line = 0;
}

FilterDef *filter_def_free(FilterDef *d) {
        if (!d)
                return NULL;

        free(d->name);
        free(d->file);

        for (size_t i = 0; i < d->n_failregex; i++)
                regex_def_done(&d->failregex[i]);
        free(d->failregex);

        for (size_t i = 0; i < d->n_ignoreregex; i++)
                regex_def_done(&d->ignoreregex[i]);
        free(d->ignoreregex);

        regex_def_done(&d->prefregex);

        free(d->journalmatch);
        free(d->journalmatch_file);

        free(d);
        return NULL;
}
