#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fails if a message of ukey-assistant (renew/assistant/*.c) has no Chinese
# translation in renew/assistant/po/zh_CN.po, or the catalog has errors:
# xgettext over po/POTFILES, msgcmp (untranslated / fuzzy count as missing),
# msgfmt --check.
set -eu
dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$dir"
files=$(grep -v '^#' po/POTFILES | grep -v '^$')
for f in *.c; do
  if grep -q '\b_(\|N_(\|dngettext(' "$f" && ! printf '%s\n' $files | grep -qx "$f"; then
    echo "check-po: $f has messages but is not in po/POTFILES" >&2
    exit 1
  fi
done
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=dngettext:2,3 \
  --package-name=ukey-assistant -o "$work/ukey-assistant.pot" $files
msgcmp -N po/zh_CN.po "$work/ukey-assistant.pot"
msgfmt --check --statistics -o /dev/null po/zh_CN.po 2> "$work/stat"
cat "$work/stat"
if grep -q 'untranslated\|fuzzy' "$work/stat"; then
  echo "check-po: untranslated or fuzzy messages in zh_CN.po" >&2
  exit 1
fi
echo "check-po: every message has a zh_CN translation"
