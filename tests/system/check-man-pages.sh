#!/bin/sh
# SPDX-License-Identifier: MIT
# Formats each manual page with groff at its strictest warning level (-ww)
# and fails on any warning, and checks that no @VARIABLE@ was left
# unsubstituted and that the page has a NAME section (what man -k indexes).
set -u
status=0
for page in "$@"; do
  warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
  if [ -n "$warnings" ]; then
    echo "FAIL $page: groff warns:"
    echo "$warnings"
    status=1
  else
    echo "ok   $page formats without warnings"
  fi
  if grep -n '@[A-Za-z_]*@' "$page"; then
    echo "FAIL $page: unsubstituted variables above"
    status=1
  else
    echo "ok   $page has every variable substituted"
  fi
  if grep -q '^\.SH NAME' "$page"; then
    echo "ok   $page has a NAME section"
  else
    echo "FAIL $page: no NAME section"
    status=1
  fi
done
exit $status
