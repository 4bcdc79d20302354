// The answer for a path nothing serves (issue 32 item 7). API clients (GraphQL, the Hub's routes,
// /healthz, the card route) always get the JSON error every route gives (errors.ts), so a Hub
// client still reads `error` and a GraphQL client `errors[0].extensions.code`. A person's browser
// on any other path gets one HTML page with status 404 instead of JSON, chosen by content
// negotiation as the Hub does (a browser asks for text/html first; fetch and curl send */*, which
// keeps JSON, the form every test and script of this API reads).
import type { Request, RequestHandler, Response } from 'express';
import { sendError } from './errors.js';

/** Paths of the API (and the Hub's protocol): never an HTML page, whatever the client accepts. */
export function isApiPath(path: string): boolean {
  if (/^\/(api|graphql|healthz|models)(\/|$)/.test(path)) return true;
  // The Hub's file and LFS routes under a repository: /OWNER/NAME/resolve/…, /OWNER/NAME.git/….
  const [, , name, verb] = path.split('/');
  return verb === 'resolve' || (name?.endsWith('.git') ?? false);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page itself: no script and nothing loaded from elsewhere (its CSP says so). */
export function notFoundPage(path: string, what: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>404 · Bonsai</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; color: #1f2937; }
  main { max-width: 36rem; padding: 1.5rem; }
  h1 { font-size: 1.5rem; margin: 0 0 0.5rem; }
  code { background: #f3f4f6; padding: 0.1rem 0.3rem; border-radius: 4px; overflow-wrap: anywhere; }
  a { color: #15803d; }
</style>
</head>
<body>
<main>
<h1>404 · ${escapeHtml(what)}</h1>
<p>Nothing is at <code>${escapeHtml(path.slice(0, 500))}</code>.</p>
<p><a href="/">Browse the models in the catalog</a></p>
</main>
</body>
</html>
`;
}

/** A 404 in the form the client reads: JSON for the API and for programs, the page for a browser. */
export function sendNotFound(req: Request, res: Response, what: string, jsonMessage: string): void {
  const browser = (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(req.path) && req.accepts(['json', 'html']) === 'html';
  if (!browser) {
    sendError(res, { status: 404, code: 'NOT_FOUND', message: jsonMessage });
    return;
  }
  res
    .status(404)
    .set({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    })
    .send(notFoundPage(req.path, what));
}

/** The app's last route: every path no route serves. */
export function notFoundHandler(): RequestHandler {
  return (req, res) => sendNotFound(req, res, 'page not found', `no route for ${req.method} ${req.path.slice(0, 200)}`);
}
