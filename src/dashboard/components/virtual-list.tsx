/**
 * A list of fixed-height rows that renders only the rows in view (plus a margin): 10,000 rows
 * cost what 40 do. `onNearEnd` fires when the view nears the last row (to load the next page);
 * `follow` keeps the view at the bottom while it is there (live logs).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  height: number | string;
  render: (item: T, index: number) => ComponentChildren;
  onNearEnd?: () => void;
  follow?: boolean;
  class?: string;
  testId?: string;
}

const OVERSCAN = 10;

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);
  const atBottom = useRef(true);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewHeight(el.clientHeight));
    ro.observe(el);
    setViewHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && props.follow && atBottom.current) {
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    }
  }, [items.length, props.follow]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + viewHeight) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (props.onNearEnd && last >= items.length - OVERSCAN) props.onNearEnd();
  }, [last, items.length]);

  const rows = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div class="vrow" key={i} style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>
        {props.render(items[i] as T, i)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      class={`vlist ${props.class ?? ''}`}
      data-testid={props.testId}
      style={{ height: typeof props.height === 'number' ? `${props.height}px` : props.height }}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
        setScrollTop(el.scrollTop);
      }}
    >
      <div class="vspacer" style={{ height: `${items.length * rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
