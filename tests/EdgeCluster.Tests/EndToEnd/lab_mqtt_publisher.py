# The lab's MQTT publisher ("MQTT Message Queue Example"), as the lab gives it, with the broker, the port and the
# number of readings from the command line and a shorter pause, so a test can run it against a member:
#   /usr/bin/python3 lab_mqtt_publisher.py HOST PORT COUNT
import paho.mqtt.client as mqtt
import time
import random
import json
import sys

BROKER = sys.argv[1]
PORT = int(sys.argv[2])
COUNT = int(sys.argv[3])
TOPIC = "sensors/temperature/room1"
CLIENT_ID = f"edge-sensor-{random.randint(1000, 9999)}"
acked = []

def on_connect(client, userdata, flags, rc):
    if rc == 0:
        print(f"Connected to MQTT broker at {BROKER}")
    else:
        print(f"Connection failed with code {rc}")

def on_publish(client, userdata, mid):
    acked.append(mid)
    print(f"Message {mid} published")

client = mqtt.Client(CLIENT_ID)
client.on_connect = on_connect
client.on_publish = on_publish
try:
    client.connect(BROKER, PORT, keepalive=60)
    client.loop_start()
    for i in range(COUNT):
        temperature = 20.0 + random.gauss(0, 2.0)
        humidity = 50.0 + random.gauss(0, 10.0)
        payload = {
            "device_id": "sensor_room1",
            "timestamp": time.time(),
            "temperature": round(temperature, 2),
            "humidity": round(humidity, 2),
        }
        result = client.publish(TOPIC, json.dumps(payload), qos=1)
        if result.rc == mqtt.MQTT_ERR_SUCCESS:
            print(f"Published: {payload}")
        else:
            print(f"Publish failed: {result.rc}")
        time.sleep(0.05)
    deadline = time.time() + 20
    while len(acked) < COUNT and time.time() < deadline:
        time.sleep(0.05)
finally:
    client.loop_stop()
    client.disconnect()
    print(f"acknowledged {len(acked)} of {COUNT}")
