#!/bin/sh
# The add service as a shell command, for `switchboard work`:
#   npx switchboard work add -- ./examples/add.sh
# Reads {"first": a, "second": b} (whole numbers) on standard input and prints
# {"answer": a+b}. Bad input exits 1, which answers the caller with a 500.
body=$(cat)
first=$(printf '%s' "$body" | sed -n 's/.*"first" *: *\(-\{0,1\}[0-9][0-9]*\).*/\1/p')
second=$(printf '%s' "$body" | sed -n 's/.*"second" *: *\(-\{0,1\}[0-9][0-9]*\).*/\1/p')
if [ -z "$first" ] || [ -z "$second" ]; then
  echo 'expected {"first": <whole number>, "second": <whole number>}' >&2
  exit 1
fi
echo "{\"answer\":$((first + second))}"
