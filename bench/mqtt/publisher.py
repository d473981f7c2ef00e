#!/usr/bin/env python3
"""One board publishing QoS 1 readings as fast as its broker acknowledges them (paho-mqtt 1.x, Debian's, at most 20
in flight), then writing the seq of every acknowledged publish (PUBACK) to --acked, so a benchmark can count what was
acknowledged and then lost. It stops when every reading is acknowledged, when the broker goes away, or after --within
seconds. --lab sends the lab's payload ("device_id": "dev<N>", time.time(), on sensors/temperature/dev<N>)."""
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
ap.add_argument("--within", type=float, default=120)
ap.add_argument("--lab", action="store_true")
args = ap.parse_args()

seq_of_mid = {}       # written by this thread only
acked_mids = []       # appended by paho's network thread (list.append is atomic)
gone = threading.Event()

def on_publish(client, userdata, mid):
    acked_mids.append(mid)

def on_disconnect(client, userdata, rc):
    if rc != 0:
        gone.set()

client = mqtt.Client(f"bench-board-{args.device}", clean_session=True)
client.max_inflight_messages_set(20)
client.on_publish = on_publish
client.on_disconnect = on_disconnect
client.connect(args.host, args.port, keepalive=60)
client.loop_start()
topic = f"sensors/temperature/dev{args.device}" if args.lab else f"sensors/{args.device}/reading"
deadline = time.time() + args.within
for seq in range(1, args.count + 1):
    if gone.is_set() or time.time() > deadline:
        break
    payload = {"device_id": f"dev{args.device}" if args.lab else args.device, "timestamp": time.time(),
               "temperature": round(20 + random.random() * 5, 2), "humidity": round(50 + random.random() * 10, 2)}
    if not args.lab:
        payload["seq"] = seq
    info = client.publish(topic, json.dumps(payload), qos=1)
    seq_of_mid[info.mid] = seq
    while len(seq_of_mid) - len(acked_mids) >= 20 and not gone.is_set() and time.time() < deadline:
        time.sleep(0.0005)
while len(acked_mids) < len(seq_of_mid) and not gone.is_set() and time.time() < deadline:
    time.sleep(0.01)
client.loop_stop()
with open(args.acked, "w") as f:
    for mid in list(acked_mids):
        if mid in seq_of_mid:
            f.write(f"{seq_of_mid[mid]}\n")
