import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SafeMarkdown } from './SafeMarkdown';

afterEach(cleanup);

describe('notes render Markdown safely', () => {
  it('renders headings, lists, emphasis and web links', () => {
    const { container } = render(
      <SafeMarkdown>{'## Saturday\n- **Picnic** in the [park](https://example.com/park)\n- [mail](mailto:dana@example.com)'}</SafeMarkdown>,
    );
    expect(container.querySelector('h2')?.textContent).toBe('Saturday');
    expect(container.querySelector('strong')?.textContent).toBe('Picnic');
    expect([...container.querySelectorAll('a')].map((a) => a.getAttribute('href'))).toEqual([
      'https://example.com/park',
      'mailto:dana@example.com',
    ]);
  });

  it('drops raw HTML and script-like links, whatever their spelling', () => {
    const { container } = render(
      <SafeMarkdown>
        {
          '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[a](javascript:alert(3)) [b](JaVaScRiPt:alert(4)) [c](data:text/html,<b>x</b>) [d](//evil.example/x) ![e](javascript:alert(5))\n\n<a href="javascript:alert(6)">f</a>'
        }
      </SafeMarkdown>,
    );
    expect(container.querySelector('script, img[onerror], iframe')).toBeNull();
    const hrefs = [...container.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? '');
    const srcs = [...container.querySelectorAll('img')].map((i) => i.getAttribute('src') ?? '');
    for (const u of [...hrefs, ...srcs]) expect(u).not.toMatch(/^(javascript|data):|^\/\//i);
    expect(container.innerHTML).not.toMatch(/onerror|javascript:/i);
  });
});
