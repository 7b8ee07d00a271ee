/**
 * Trigger states of the in-memory store: one Map of states. States arrive as copies and leave
 * through copies (checkedStore), so the Map's objects are never shared.
 * @module
 */
import type { TriggerState, TriggerStore } from '../roles/index.ts';

/** The trigger-states role of a memory store. */
export function createMemoryTriggers(): TriggerStore {
  const states = new Map<string, TriggerState>();
  return {
    async getTriggerState(triggerId) {
      return states.get(triggerId);
    },

    async putTriggerState(state) {
      states.set(state.id, state);
    },

    async listTriggerStates() {
      return [...states.keys()].sort().map((id) => states.get(id)!);
    },

    async deleteTriggerState(triggerId) {
      states.delete(triggerId);
    },
  };
}
