#!/usr/bin/env bash
# Every test, after `npm run build`: vitest (unit, interop with real clients, recovery, control
# plane; reports/vitest.json) then Playwright (the console in Debian's chromium;
# reports/playwright.json, screenshots in reports/screenshots/). Both always run; the exit
# status is non-zero if either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
rm -f reports/vitest.json reports/playwright.json
npx vitest run
vitest_status=$?
npx playwright test -c e2e/playwright.config.ts
playwright_status=$?
[ "$vitest_status" -eq 0 ] && [ "$playwright_status" -eq 0 ]
