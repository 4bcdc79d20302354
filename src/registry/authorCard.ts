// The README.md a model was registered with: its author's own card, stored with its files but
// replaced on the Hub routes by the card Bonsai renders (hubRepo.ts). The catalog shows it beside
// Bonsai's generated sections, so what the author wrote is not lost.
import type { RegistryDeps } from './deps.js';

/** The most of an author's card that is read: the Hub's model cards are a few kB, rarely 100 kB. */
export const MAX_AUTHOR_CARD_BYTES = 512 * 1024;

/**
 * The text of the README.md among a stored checkpoint's files, or null when it has none. A longer
 * one is cut at MAX_AUTHOR_CARD_BYTES (at a line break) and says so, rather than failing the page.
 */
export async function authorCard(deps: Pick<RegistryDeps, 'prisma' | 'store'>, artifactId: string | null): Promise<string | null> {
  if (!artifactId) return null;
  const file = await deps.prisma.artifactFile.findFirst({ where: { artifactId, path: 'README.md' } });
  if (!file) return null;
  const bytes = await deps.store.readBlobBytes(file.sha256, MAX_AUTHOR_CARD_BYTES);
  if (bytes.length <= MAX_AUTHOR_CARD_BYTES) return bytes.toString('utf8');
  const text = bytes.subarray(0, MAX_AUTHOR_CARD_BYTES).toString('utf8');
  return `${text.slice(0, text.lastIndexOf('\n') + 1)}\n\n*(README.md continues: ${Number(file.size).toLocaleString('en-US')} bytes in all; download it from the Files tab.)*\n`;
}
