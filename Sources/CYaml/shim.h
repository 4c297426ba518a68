#ifndef KAPSOCTL_CYAML_SHIM_H
#define KAPSOCTL_CYAML_SHIM_H
#include <yaml.h>
#endif
