#!/usr/bin/env python3
"""One board publishing QoS 1 readings as fast as its broker acknowledges them (paho-mqtt 1.x, Debian's), writing the
seq of each acknowledged publish (PUBACK) to --acked as it arrives, so a test can count what was acknowledged and
then lost. --lab sends the lab's payload ("device_id": "dev<N>", time.time(), topic sensors/temperature/dev<N>)."""
import argparse
import json
import random
import threading
import time

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--device", type=int, required=True)
ap.add_argument("--count", type=int, required=True)
ap.add_argument("--acked", required=True)
ap.add_argument("--lab", action="store_true")
args = ap.parse_args()

acked_file = open(args.acked, "w", buffering=1)
mids = {}
done = threading.Event()
acked = 0
lock = threading.Lock()

def on_publish(client, userdata, mid):
    global acked
    with lock:
        seq = mids.pop(mid, None)
        if seq is not None:
            acked_file.write(f"{seq}\n")
            acked += 1
            if acked == args.count:
                done.set()

def on_disconnect(client, userdata, rc):
    if rc != 0:
        done.set()

client = mqtt.Client(f"bench-board-{args.device}", clean_session=True)
client.max_inflight_messages_set(20)
client.on_publish = on_publish
client.on_disconnect = on_disconnect
client.connect(args.host, args.port, keepalive=60)
client.loop_start()
topic = f"sensors/temperature/dev{args.device}" if args.lab else f"sensors/{args.device}/reading"
for seq in range(1, args.count + 1):
    if done.is_set():
        break
    payload = {"device_id": f"dev{args.device}" if args.lab else args.device, "timestamp": time.time(),
               "temperature": round(20 + random.random() * 5, 2), "humidity": round(50 + random.random() * 10, 2)}
    if not args.lab:
        payload["seq"] = seq
    with lock:
        info = client.publish(topic, json.dumps(payload), qos=1)
        mids[info.mid] = seq
    while len(mids) >= 20 and not done.is_set():
        time.sleep(0.0005)
done.wait(timeout=120)
client.loop_stop()
acked_file.close()
