// The model card rendered from its markdown (marked), sanitised (DOMPurify) before it is shown.
// Headings move one level down: the page has its own h1. Links between models (the Hub's
// ../OWNER/NAME and /OWNER/NAME) open the catalog's model page; code blocks scroll sideways and
// get a copy button (the reproduce command is one long line).
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { useEffect, useMemo, useRef } from 'react';
import { href } from '../router';
import { copyText } from './CopyButton';

const marked = new Marked({
  walkTokens(token) {
    if (token.type === 'heading') token.depth = Math.min(6, token.depth + 1);
  },
});

/** ../OWNER/NAME, ./OWNER/NAME or /OWNER/NAME (two path segments, nothing else): a model of this registry. */
const MODEL_LINK = /^(?:\.\.\/|\.\/|\/)?([A-Za-z0-9][A-Za-z0-9._-]*)\/([A-Za-z0-9][A-Za-z0-9._-]*)$/;

export function inCatalogLink(link: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('#') || link.startsWith('//')) return null;
  const m = MODEL_LINK.exec(link);
  return m && m[1] !== 'models' ? href('model', `${m[1]}/${m[2]}`) : null;
}

/** `title`: the page's own h1; a card heading that repeats it is left out. */
export function Markdown({ source, title }: { source: string; title?: string }) {
  const root = useRef<HTMLDivElement>(null);
  // The YAML front matter is data, shown elsewhere; the body is the card.
  const html = useMemo(() => {
    const clean = DOMPurify.sanitize(marked.parse(source.replace(/^---\n[\s\S]*?\n---\n/, ''), { async: false }) as string);
    const doc = new DOMParser().parseFromString(`<div>${clean}</div>`, 'text/html');
    const first = doc.body.firstElementChild!.firstElementChild;
    if (title && first && /^H[1-6]$/.test(first.tagName) && first.textContent?.trim() === title) first.remove();
    for (const a of doc.querySelectorAll('a[href]')) {
      const target = inCatalogLink(a.getAttribute('href')!);
      if (target) a.setAttribute('href', target);
    }
    return doc.body.firstElementChild!.innerHTML;
  }, [source, title]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the buttons are added again whenever the html changes.
  useEffect(() => {
    for (const pre of root.current?.querySelectorAll('pre') ?? []) {
      if (pre.parentElement?.classList.contains('code-block')) continue;
      const wrap = document.createElement('div');
      wrap.className = 'code-block';
      pre.replaceWith(wrap);
      wrap.append(pre);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy';
      button.textContent = 'Copy';
      button.setAttribute('aria-label', 'Copy this code');
      button.addEventListener('click', () => {
        void copyText(pre.textContent ?? '').then(() => {
          button.textContent = 'Copied';
          setTimeout(() => {
            button.textContent = 'Copy';
          }, 1500);
        });
      });
      wrap.append(button);
    }
  }, [html]);
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify just above.
  return <div ref={root} className="card markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
