// Hash routes, so every route survives a reload whatever serves the page: #/ catalog (its filters,
// sort and page in the query: #/?q=tiny&sort=NAME:ASC&page=2), #/model/OWNER/NAME,
// #/model/OWNER/NAME?tab=files (the model page's tab), #/tree/OWNER/NAME, #/spawn/OWNER/NAME; anything else is the not-found page. The Hub's model URLs
// (/OWNER/NAME, which cards link between) are redirected here by the server.
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'catalog'; params: URLSearchParams }
  | { page: 'model'; name: string; tab: string | null }
  | { page: 'tree'; name: string }
  | { page: 'spawn'; name: string }
  | { page: 'notFound'; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?', 2);
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts.length === 0) return { page: 'catalog', params: new URLSearchParams(query) };
  const name = parts.slice(1, 3).join('/');
  if (parts.length === 3 && parts[0] === 'model') return { page: 'model', name, tab: new URLSearchParams(query).get('tab') };
  if (parts.length === 3 && (parts[0] === 'tree' || parts[0] === 'spawn')) return { page: parts[0], name };
  return { page: 'notFound', path: `/${path}` };
}

export function href(page: 'model' | 'tree' | 'spawn', name: string, tab?: string): string {
  return `#/${page}/${name.split('/').map(encodeURIComponent).join('/')}${tab ? `?tab=${encodeURIComponent(tab)}` : ''}`;
}

export function catalogHref(params: URLSearchParams): string {
  const q = params.toString();
  return q ? `#/?${q}` : '#/';
}

/**
 * Goes to a route: a new history entry (back returns here), or with `replace` the current entry
 * changed in place (typing in a filter box should not add an entry per keystroke).
 */
export function navigate(hash: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    history.replaceState(history.state, '', hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = hash;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    window.addEventListener('popstate', on);
    return () => {
      window.removeEventListener('hashchange', on);
      window.removeEventListener('popstate', on);
    };
  }, []);
  return route;
}

/** The document title of a page: `owner/name · Bonsai`, as the Hub titles its model pages. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Bonsai` : 'Bonsai';
  }, [title]);
}
