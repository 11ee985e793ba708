#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fails if a message of renew/cli has no Chinese translation in
# renew/po/zh_CN.po (or the catalog has errors): xgettext over the files of
# renew/po/POTFILES, then msgcmp (untranslated and fuzzy entries count as
# missing), then msgfmt --check.
set -eu
renew_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$renew_dir"
files=$(grep -v '^#' po/POTFILES | grep -v '^$')
# every renew/cli/*.c with _( or N_( must be listed
for f in cli/*.c; do
  if grep -q '\b_(\|N_(' "$f" && ! printf '%s\n' $files | grep -qx "$f"; then
    echo "check-po: $f has messages but is not in po/POTFILES" >&2
    exit 1
  fi
done
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
  --package-name=ukey-renew -o "$work/ukey-renew.pot" $files
msgcmp -N po/zh_CN.po "$work/ukey-renew.pot"
msgfmt --check --statistics -o /dev/null po/zh_CN.po 2> "$work/stat"
cat "$work/stat"
if grep -q 'untranslated\|fuzzy' "$work/stat"; then
  echo "check-po: untranslated or fuzzy messages in zh_CN.po" >&2
  exit 1
fi
echo "check-po: every message has a zh_CN translation"
