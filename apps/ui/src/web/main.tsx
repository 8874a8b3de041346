// The page of `lolpop ui` (Preact): hash routes, one component per page. Every data value is
// rendered as text by Preact (never as HTML).
import { type JSX, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./app.css";
import { api, type Info } from "./api.js";
import {
  ComparePage,
  GraphPage,
  LineagePage,
  ModelPage,
  ModelsPage,
  RunPage,
  RunsPage,
  VersionPage,
} from "./pages.js";

/** Asked once, in parallel with the first page's data (the runs page does not wait for it). */
const infoReady: Promise<Info> = api<Info>("info");
infoReady.catch(() => undefined); // a page that needs it shows the error

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const [info, setInfo] = useState<Info | undefined>();
  useEffect(() => {
    infoReady.then(setInfo, () => undefined);
  }, []);
  const [path, query] = (hash.slice(1) || "/runs").split("?");
  const parts = (path ?? "").split("/").filter(Boolean).map(decodeURIComponent);
  const [page, a = "", b = ""] = parts;
  let body: JSX.Element;
  if (page === "run") body = <RunPage id={a} />;
  else if (page === "compare") body = <ComparePage ids={a} />;
  else if (page === "models") body = <ModelsPage />;
  else if (page === "model") body = <ModelPage name={a} info={infoReady} />;
  else if (page === "version") body = <VersionPage name={a} version={b} />;
  else if (page === "lineage") body = <LineagePage name={a} version={b} />;
  else if (page === "graph") body = <GraphPage info={infoReady} />;
  else body = <RunsPage params={new URLSearchParams(query ?? "")} />;
  return (
    <>
      <header>
        <strong>lolpop</strong>
        <nav>
          <a href="#/runs">Runs</a>
          <a href="#/models">Models</a>
          <a href="#/graph">Workflow</a>
        </nav>
        <span id="mode">{info?.readOnly ? "read-only" : ""}</span>
      </header>
      <main id="app" aria-live="polite" key={hash}>
        {body}
      </main>
    </>
  );
}

render(<App />, document.getElementById("root")!);
