/* gw/metrics.c: to be written */
