/* gw/echo.c: to be written */
