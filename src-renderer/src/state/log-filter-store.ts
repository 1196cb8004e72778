import { create } from 'zustand';
import type { LogLine } from '../../../src-main/ipc/ipc-contract.js';

/** The logs page's filters. `level` is a minimum ('warn' shows warn and error). */
interface LogFilterState {
  level: LogLine['level'] | 'all';
  search: string;
  autoRefresh: boolean;
  setLevel(level: LogLine['level'] | 'all'): void;
  setSearch(search: string): void;
  setAutoRefresh(on: boolean): void;
}

export const useLogFilterStore = create<LogFilterState>()((set) => ({
  level: 'all',
  search: '',
  autoRefresh: true,
  setLevel: (level) => set({ level }),
  setSearch: (search) => set({ search }),
  setAutoRefresh: (autoRefresh) => set({ autoRefresh }),
}));
