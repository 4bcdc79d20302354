// The model card rendered from its markdown (marked), sanitised (DOMPurify) before it is shown.
// Headings move one level down: the page has its own h1.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { useMemo } from 'react';

const marked = new Marked({
  walkTokens(token) {
    if (token.type === 'heading') token.depth = Math.min(6, token.depth + 1);
  },
});

export function Markdown({ source }: { source: string }) {
  // The YAML front matter is data, shown elsewhere; the body is the card.
  const html = useMemo(
    () => DOMPurify.sanitize(marked.parse(source.replace(/^---\n[\s\S]*?\n---\n/, ''), { async: false }) as string),
    [source],
  );
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify just above.
  return <div className="card markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
