import { EventEmitter } from "node:events";
import { type AppEvent, AppEventSchema } from "../../../src-shared/domain";

/** Typed, validated fan-out of AppEvents to every subscriber (renderer windows, harness sockets, CLIs). */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  publish(event: AppEvent): void {
    this.emitter.emit("event", AppEventSchema.parse(event));
  }

  subscribe(listener: (event: AppEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
}
