/*
 * dynlib.c - dlopen() of one library and its symbols (see dynlib.h).
 */
#include "common/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/*
 * RTLD_NOW: a symbol missing from an old library is found here, at set-up,
 * with a clear message, not as a crash in the middle of a run.  RTLD_LOCAL:
 * nothing else in the process binds to the library's names by accident.
 */
static int try_load(struct dynlib *lib)
{
	const char *e;

	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		e = dlerror();
		snprintf(lib->error, sizeof(lib->error),
			 "%s: cannot load %s (install the Debian package %s): %s",
			 lib->what, lib->soname, lib->package, e ? e : "?");
		return -1;
	}
	for (size_t i = 0; lib->symbols[i]; i++) {
		dlerror();
		lib->slots[i] = dlsym(lib->handle, lib->symbols[i]);
		if (!lib->slots[i]) {
			snprintf(lib->error, sizeof(lib->error),
				 "%s: %s has no %s (a newer %s is needed)",
				 lib->what, lib->soname, lib->symbols[i],
				 lib->package);
			dlclose(lib->handle);
			lib->handle = NULL;
			return -1;
		}
	}
	return 0;
}

int dynlib_load(struct dynlib *lib, char *err, size_t errlen)
{
	if (!lib->handle && !lib->failed && try_load(lib) < 0)
		lib->failed = true;
	if (lib->failed) {
		snprintf(err, errlen, "%s", lib->error);
		return -1;
	}
	return 0;
}
