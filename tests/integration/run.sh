#!/bin/sh
# Integration tests: real storegw + headless Chromium (see README).
echo "integration: not yet"
