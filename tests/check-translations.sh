#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every translation is complete and valid:
#   bash tests/check-translations.sh SOURCE_ROOT BUILD_ROOT
# - msgfmt -c accepts each po/LANG.po of po/LINGUAS (format strings,
#   plural forms, header) and counts no untranslated and no fuzzy message;
# - the same holds once the .po is merged with the messages that the
#   sources of po/POTFILES hold now (C, the GJS module and the Python
#   override), so that a message added or changed without its
#   translations fails here;
# - the build made its catalog, BUILD_ROOT/po/LANG/LC_MESSAGES/DOMAIN.mo.
set -euo pipefail

src="${1:?usage: check-translations.sh SOURCE_ROOT BUILD_ROOT}"
build="${2:?usage: check-translations.sh SOURCE_ROOT BUILD_ROOT}"
domain=comlink-glib-1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The keywords of meson's 'glib' preset, which builds the real template
xgettext --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_set_error:4:c-format --flag=g_prefix_error:2:c-format \
  --directory="$src" --files-from="$src/po/POTFILES" \
  --output="$tmp/$domain.pot"

# The counts that msgfmt --statistics prints, which has no "untranslated"
# and no "fuzzy" part when every message is translated
complete() {
  local po=$1 stats
  stats=$(LC_ALL=C msgfmt --check --statistics --output-file=/dev/null "$po" 2>&1)
  echo "  $stats"
  case "$stats" in
    *untranslated*|*fuzzy*) return 1 ;;
  esac
}

failed=0
n=0
while read -r lang; do
  case "$lang" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  echo "$lang.po:"
  complete "$src/po/$lang.po" || { echo "  $lang.po is not complete" >&2; failed=1; }

  msgmerge --quiet --no-fuzzy-matching --output-file="$tmp/$lang.po" "$src/po/$lang.po" "$tmp/$domain.pot"
  echo "$lang.po merged with the messages of the sources:"
  complete "$tmp/$lang.po" || {
    echo "  messages of the sources have no $lang translation: update po/$lang.po" >&2
    failed=1
  }

  mo="$build/po/$lang/LC_MESSAGES/$domain.mo"
  if [ -s "$mo" ]; then
    echo "  the build made $mo"
  else
    echo "  the build made no $mo" >&2
    failed=1
  fi
done < "$src/po/LINGUAS"

if [ "$n" -lt 2 ]; then
  echo "po/LINGUAS names $n languages" >&2
  failed=1
fi
exit "$failed"
