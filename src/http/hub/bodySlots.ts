// At most `max` requests of one kind reading their body at once, the others waiting with their body
// unread (TCP backpressure holds it at the client). For bodies that must be held whole: the Hub's
// older JSON-form commit (huggingface_hub before NDJSON) is one JSON document of up to 64 MB,
// about three times that while it is decoded and parsed, and no streaming JSON parser is among
// Bonsai's dependencies; two at a time bound that to a few hundred MB whatever the number of
// maintainers pushing. A request holds its slot until its response is finished or its connection
// closed (Node's requestTimeout, 300 s by default, ends a body that never completes).
import type { RequestHandler } from 'express';

export function bodySlots(max: number, applies: (req: Parameters<RequestHandler>[0]) => boolean): RequestHandler {
  let active = 0;
  const queue: Array<() => void> = [];
  const grant = () => {
    while (active < max && queue.length) {
      active++;
      queue.shift()!();
    }
  };
  return (req, res, next) => {
    if (!applies(req)) return next();
    let state: 'waiting' | 'active' | 'done' = 'waiting';
    const start = () => {
      state = 'active';
      next();
    };
    res.on('close', () => {
      if (state === 'active') {
        active--;
        state = 'done';
        grant();
      } else if (state === 'waiting') {
        const i = queue.indexOf(start);
        if (i >= 0) queue.splice(i, 1);
        state = 'done';
      }
    });
    queue.push(start);
    grant();
  };
}
