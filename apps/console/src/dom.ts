/** A tiny hyperscript: elements with attributes, listeners (on*) and children. No innerHTML anywhere. */
type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value' && 'value' in element) {
      (element as HTMLInputElement).value = String(value);
    } else if (name === 'checked' && 'checked' in element) {
      (element as HTMLInputElement).checked = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
    );
  }
}

/** Replaces what an element shows. */
export function show(parent: Element, ...children: Array<Child | Child[]>): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A bar of used against total (CSP forbids inline styles: the width is set through the CSSOM). */
export function usage(label: string, used: number, total: number, unit: string): HTMLElement {
  const share = total > 0 ? Math.min(1, used / total) : 0;
  const fill = h('span', { class: `fill${share >= 0.9 ? ' high' : ''}` });
  fill.style.width = `${Math.round(share * 100)}%`;
  return h(
    'div',
    { class: 'usage' },
    h('span', { class: 'usage-label' }, `${label} ${used}/${total} ${unit}`),
    h(
      'span',
      {
        class: 'bar',
        role: 'meter',
        'aria-label': label,
        'aria-valuemin': 0,
        'aria-valuemax': total,
        'aria-valuenow': used,
      },
      fill,
    ),
  );
}
