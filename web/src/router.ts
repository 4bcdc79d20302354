// Hash routes, so the server only ever serves index.html: #/ catalog, #/model/OWNER/NAME,
// #/tree/OWNER/NAME, #/spawn/OWNER/NAME.
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'catalog' }
  | { page: 'model'; name: string }
  | { page: 'tree'; name: string }
  | { page: 'spawn'; name: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = parts.slice(1, 3).join('/');
  if (parts[0] === 'model' && parts.length >= 3) return { page: 'model', name };
  if (parts[0] === 'tree' && parts.length >= 3) return { page: 'tree', name };
  if (parts[0] === 'spawn' && parts.length >= 3) return { page: 'spawn', name };
  return { page: 'catalog' };
}

export function href(page: 'model' | 'tree' | 'spawn', name: string): string {
  return `#/${page}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
