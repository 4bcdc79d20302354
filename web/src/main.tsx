import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Catalog } from './pages/Catalog';
import { ModelPage } from './pages/Model';
import { NotFound } from './pages/NotFound';
import { SpawnPage } from './pages/Spawn';
import { TreePage } from './pages/Tree';
import { useRoute } from './router';
import './styles.css';

function App() {
  const route = useRoute();
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">
          Bonsai
        </a>
        <span className="tagline">compressed language models and their lineage</span>
      </header>
      <main>
        {route.page === 'catalog' && <Catalog params={route.params} />}
        {route.page === 'notFound' && <NotFound what={`There is no page at ${route.path} in the catalog.`} />}
        {route.page === 'model' && <ModelPage name={route.name} tab={route.tab} />}
        {route.page === 'tree' && <TreePage name={route.name} />}
        {route.page === 'spawn' && <SpawnPage name={route.name} />}
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
