import Markdown from 'react-markdown';

/** Markdown as people wrote it, safely: raw HTML is dropped and only web, mail and in-app links are kept. */
export function SafeMarkdown({ children }: { children: string }) {
  return (
    <div className="markdown" dir="auto">
      <Markdown skipHtml urlTransform={(url) => (/^(https?:|mailto:|\/(?!\/)|#)/i.test(url) ? url : null)}>
        {children}
      </Markdown>
    </div>
  );
}
