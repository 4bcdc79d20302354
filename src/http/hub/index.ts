// The Hugging Face Hub's protocol, so every Hub client (huggingface_hub and `hf download`,
// transformers' from_pretrained with HF_ENDPOINT, huggingface.js with hubUrl, transformers.js with
// env.remoteHost) can pull from Bonsai, and push to it (create a repository, preupload, the LFS
// batch API and uploads, commits). The paths are the Hub's; the answers follow what its
// clients read (see each file). Mounted before the catalog's `/{owner}/{name}` page route.
import type { Express } from 'express';
import type { Services } from '../../registry/access.js';
import { commitRoute } from './commit.js';
import { createRepoRoute, deleteRepoRoute } from './createRepo.js';
import { lfsBatchRoute } from './lfsBatch.js';
import { lfsUploadRoute, lfsVerifyRoute } from './lfsUpload.js';
import { listModelsRoute } from './listModels.js';
import { modelInfoRoute } from './modelInfo.js';
import { preuploadRoute } from './preupload.js';
import { resolveRoute } from './resolve.js';
import { pathsInfoRoute, treeRoute } from './tree.js';

export function mountHubRoutes(app: Express, services: Services): void {
  app.get('/api/models', listModelsRoute(services));
  app.get('/api/models/:owner/:name', modelInfoRoute(services));
  app.get('/api/models/:owner/:name/revision/:revision', modelInfoRoute(services));
  app.get('/api/models/:owner/:name/tree/:revision{/*path}', treeRoute(services));
  app.post('/api/models/:owner/:name/paths-info/:revision', pathsInfoRoute(services));
  app.get('/:owner/:name/resolve/:revision/*path', resolveRoute(services));
  // Writes (src/http/hub/writable.ts: maintainer to write, admin to delete a repository). Each
  // route reads its body only after the token and role are checked.
  app.post('/api/repos/create', createRepoRoute(services));
  app.delete('/api/repos/delete', deleteRepoRoute(services));
  app.post('/api/models/:owner/:name/preupload/:revision', preuploadRoute(services));
  app.post('/:owner/:name.git/info/lfs/objects/batch', lfsBatchRoute(services));
  // Signed URL (the ticket is the credential): checked before the body streams in.
  app.put('/:owner/:name.git/info/lfs/objects/:oid', lfsUploadRoute(services));
  app.post('/:owner/:name.git/info/lfs/verify', lfsVerifyRoute(services));
  app.post('/api/models/:owner/:name/commit/:revision', commitRoute(services));
  // Bonsai's earlier download routes, kept for links already handed out.
  app.get('/models/:owner/:name/resolve/*path', (req, res) => {
    const { owner, name, path } = req.params as { owner: string; name: string; path: string[] };
    res.redirect(302, `/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/resolve/main/${path.map(encodeURIComponent).join('/')}`);
  });
  app.get('/models/:owner/:name/onnx/:file', (req, res) => {
    res.redirect(
      302,
      `/${encodeURIComponent(req.params.owner)}/${encodeURIComponent(req.params.name)}/resolve/main/onnx/${encodeURIComponent(req.params.file)}`,
    );
  });
}
