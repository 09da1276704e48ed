// For the dashboard benches: with ASSETS_FROM=DIR, a page loads /assets/NAME from
// DIR instead of the server's embedded copy, so two versions of the page can be
// measured against one server binary (the assets are compiled into it).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Routes the page's /assets/ requests to ASSETS_FROM, when it is set. */
export async function serveAssetsFrom(page, dir = process.env.ASSETS_FROM) {
  if (!dir) return;
  await page.route('**/assets/**', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop();
    route.fulfill({ body: readFileSync(join(dir, name)), contentType: TYPES[name.split('.').pop()] || 'application/octet-stream' });
  });
}

/**
 * With MINIMAL set, routes the page's app.js to minimal_dashboard.js: the bare
 * live list the benches measure as the floor.
 */
export async function serveMinimal(page, on = process.env.MINIMAL) {
  if (!on) return;
  const body = readFileSync(new URL('./minimal_dashboard.js', import.meta.url));
  await page.route('**/assets/app.js', (route) => route.fulfill({ body, contentType: TYPES.js }));
}
