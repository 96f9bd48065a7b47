#pragma once

#if defined(EMBER_BUILDING_LIBRARY)
#define EMBER_API __attribute__((visibility("default")))
#else
#define EMBER_API __attribute__((visibility("default")))
#endif
