"""Drives the official Python device SDK (tencent-iot-device 1.0.0, package `hub`) through one role's flows.

Run by orchestrate.ts inside the test's namespace, where the SDK's host names resolve to the reference hub.
It uses only the SDK's public API (QcloudHub and its methods, as the SDK's samples do); the SDK keeps one
device per process (QcloudHub and its connection are singletons), so each role is its own process.

    driver.py device  DEVICE_FILE NONCE   login, publish loop, NTP, shadow, remote config, RRPC, broadcast, OTA
    driver.py dynreg  DEVICE_FILE         dynamic registration, then login with the secret it returned
    driver.py gateway DEVICE_FILE SUB_PRODUCT SUB_DEVICE SUB_PSK
                                          sub-device online, publish as it, offline; bind, bind list, unbind

Output: one line per flow, `@@ {"flow": ..., "ok": ..., "detail": ...}`, and `@@ {"event": ...}` where the
test must act (call PublishRRPCMessage, PublishBroadcastMessage). Every wait has a deadline.
"""
import hashlib
import json
import os
import sys
import threading
import time
import traceback
from enum import Enum

from hub.hub import QcloudHub

MARK = "@@ "


def emit(obj):
    sys.stdout.write(MARK + json.dumps(obj) + "\n")
    sys.stdout.flush()


def flow(name, ok, detail=""):
    emit({"flow": name, "ok": bool(ok), "detail": str(detail)})


def wait_for(pred, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return bool(pred())


class OtaCmdType(Enum):
    # the SDK compares these by value; its OTA sample declares the same enum
    IOT_OTAG_FETCHED_SIZE = 0
    IOT_OTAG_FILE_SIZE = 1
    IOT_OTAG_MD5SUM = 2
    IOT_OTAG_VERSION = 3
    IOT_OTAG_CHECK_FIRMWARE = 4


class Device(object):
    """One SDK connection and what its callbacks saw."""

    def __init__(self, device_file):
        self.qcloud = QcloudHub(device_file=device_file, tls=False).hub
        self.lock = threading.Lock()
        self.subacks = {}
        self.pubacks = set()
        self.messages = []  # (topic, payload) from every callback

    def record(self, topic, payload):
        with self.lock:
            self.messages.append((topic, payload))

    def seen(self, pred):
        with self.lock:
            return [m for m in self.messages if pred(m[0], m[1])]

    def on_connect(self, flags, rc, userdata):
        pass

    def on_disconnect(self, rc, userdata):
        pass

    def on_message(self, topic, qos, payload, userdata):
        self.record(topic, payload)

    def on_publish(self, mid, userdata):
        with self.lock:
            self.pubacks.add(mid)

    def on_subscribe(self, qos, mid, userdata):
        with self.lock:
            self.subacks[mid] = qos

    def on_unsubscribe(self, mid, userdata):
        pass

    def callback(self, topic, qos, payload, userdata):
        self.record(topic, payload)

    def login(self):
        q = self.qcloud
        q.registerMqttCallback(self.on_connect, self.on_disconnect, self.on_message,
                               self.on_publish, self.on_subscribe, self.on_unsubscribe)
        q.connect()
        return wait_for(q.isMqttConnected, 10)

    def granted(self, mid, seconds=5):
        """Waits for the SUBACK of `mid`; True when it granted QoS 0 or 1."""
        if not wait_for(lambda: mid in self.subacks, seconds):
            return False
        return self.subacks[mid] in (0, 1)

    def acked(self, mid, seconds=5):
        return wait_for(lambda: mid in self.pubacks, seconds)


def guarded(name, fn):
    """Runs one flow; an exception is that flow's failure, and the next flows still run."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - reported as the flow's detail
        flow(name, False, "%s: %s" % (type(e).__name__, traceback.format_exc(limit=3)))


# ---- role: device


def device_role(device_file, nonce):
    d = Device(device_file)
    q = d.qcloud
    pid, dn = q.getProductID(), q.getDeviceName()
    if not d.login():
        flow("login", False, "not connected within 10 s (state %r)" % q.getConnectState())
        return
    flow("login", True, "%s/%s connected over MQTT 1883" % (pid, dn))

    def loop():
        topic = "%s/%s/data" % (pid, dn)
        q.registerUserCallback(topic, d.callback)
        rc, mid = q.subscribe(topic, 1)
        if rc != 0 or not d.granted(mid):
            return flow("subscribe-publish", False, "SUBSCRIBE %s: rc %r, granted %r" % (topic, rc, d.subacks.get(mid)))
        rc, mid = q.publish(topic, {"nonce": nonce, "from": "python-sdk"}, 1)
        got = wait_for(lambda: d.seen(lambda t, p: t == topic and p.get("nonce") == nonce), 5)
        flow("subscribe-publish", rc == 0 and got and d.acked(mid),
             "published to and received back on %s" % topic if got else "no message back on %s (publish rc %r)" % (topic, rc))

    def ntp():
        before = time.time() * 1000
        ts = q.getNtpAccurateTime()
        after = time.time() * 1000
        ok = ts != -1 and before - 5000 <= ts <= after + 5000
        flow("ntp", ok, "getNtpAccurateTime() = %r, local clock %d..%d ms" % (ts, before, after))

    def shadow():
        topic = "$shadow/operation/result/%s/%s" % (pid, dn)
        rc, mid = q.shadowInit(pid, dn, d.callback)
        if rc != 0 or not d.granted(mid):
            return flow("shadow-get", False, "shadowInit: rc %r, granted %r" % (rc, d.subacks.get(mid)))
        q.getShadow(pid, dn)
        gets = lambda: d.seen(lambda t, p: t == topic and p.get("type") == "get")  # noqa: E731
        if not wait_for(gets, 5):
            return flow("shadow-get", False, "no get reply on %s" % topic)
        first = gets()[0][1]
        flow("shadow-get", first.get("result") == 0, json.dumps(first)[:300])
        prop = q.device_property()
        prop.key, prop.data, prop.type = "temperature", 27, "int"
        doc = q.shadowJsonConstructReport(pid, dn, prop)
        rc, mid = q.shadowUpdate(pid, dn, doc, len(json.dumps(doc)))
        updates = lambda: d.seen(lambda t, p: t == topic and p.get("type") == "update")  # noqa: E731
        if rc != 0 or not wait_for(updates, 5):
            return flow("shadow-update", False, "no update reply on %s (rc %r)" % (topic, rc))
        reply = updates()[0][1]
        q.getShadow(pid, dn)
        again = lambda: [m for m in gets()[1:]]  # noqa: E731
        if reply.get("result") != 0 or not wait_for(again, 5):
            return flow("shadow-update", False, "update reply %s, second get %r" % (json.dumps(reply)[:200], again()))
        reported = again()[0][1].get("payload", {}).get("state", {}).get("reported", {})
        flow("shadow-update", reported.get("temperature") == 27, "reported after update: %s" % json.dumps(reported)[:200])

    def remote_config():
        # The SDK has no remote-config API; a device reads it with the SDK's subscribe/publish (protocol.md §5).
        result = "$config/operation/result/%s/%s" % (pid, dn)
        q.registerUserCallback(result, d.callback)
        rc, mid = q.subscribe(result, 1)
        if rc != 0 or not d.granted(mid):
            return flow("remote-config", False, "SUBSCRIBE %s: rc %r, granted %r" % (result, rc, d.subacks.get(mid)))
        q.publish("$config/operation/%s/%s" % (pid, dn), {"type": "get"}, 1)
        if not wait_for(lambda: d.seen(lambda t, p: t == result), 5):
            return flow("remote-config", False, "no reply on %s" % result)
        reply = d.seen(lambda t, p: t == result)[0][1]
        flow("remote-config", reply.get("result") == 0 and reply.get("payload", {}).get("nonce") == nonce, json.dumps(reply)[:300])

    def rrpc():
        rc, mid = q.rrpcInit(pid, dn, d.callback)
        if rc != 0 or not d.granted(mid):
            return flow("rrpc", False, "rrpcInit: rc %r, granted %r" % (rc, d.subacks.get(mid)))
        emit({"event": "rrpc-ready"})
        calls = lambda: d.seen(lambda t, p: t.startswith("$rrpc/rxd/") and p.get("nonce") == nonce)  # noqa: E731
        if not wait_for(calls, 10):
            return flow("rrpc", False, "no RRPC request arrived within 10 s")
        request = calls()[0][1]
        reply = {"pong": request.get("ping"), "nonce": nonce}
        rc, mid = q.rrpcReply(pid, dn, reply, len(json.dumps(reply)))
        flow("rrpc", rc == 0, "request %s answered with %s" % (json.dumps(request), json.dumps(reply)))

    def broadcast():
        rc, mid = q.broadcastInit(pid, dn, d.callback)
        if rc != 0 or not d.granted(mid):
            return flow("broadcast", False, "broadcastInit: rc %r, granted %r" % (rc, d.subacks.get(mid)))
        emit({"event": "broadcast-ready"})
        got = lambda: d.seen(lambda t, p: t.startswith("$broadcast/rxd/") and p.get("nonce") == nonce)  # noqa: E731
        flow("broadcast", wait_for(got, 10), "received %s" % (json.dumps(got()[0][1]) if got() else "nothing within 10 s"))

    def ota():
        reports = lambda: d.seen(lambda t, p: t.startswith("$ota/update/") and p.get("type") == "report_version_rsp")  # noqa: E731
        rc, mid = q.otaInit(pid, dn, d.callback)
        if rc != 0:
            return flow("ota-report-version", False, "otaInit: rc %r" % rc)
        rc, mid = q.otaReportVersion(pid, dn, "1.0.0")
        if rc != 0 or not wait_for(reports, 5):
            return flow("ota-report-version", False, "no report_version_rsp (rc %r)" % rc)
        rsp = reports()[0][1]
        flow("ota-report-version", rsp.get("result_code") == 0, json.dumps(rsp))
        if not wait_for(lambda: q.otaIsFetching(pid, dn), 5):
            return flow("ota-update-firmware", False, "no update_firmware within 5 s of reporting 1.0.0")
        size, _ = q.otaIoctlNumber(pid, dn, OtaCmdType.IOT_OTAG_FILE_SIZE)
        version, _ = q.otaIoctlString(pid, dn, OtaCmdType.IOT_OTAG_VERSION, 32)
        md5sum, _ = q.otaIoctlString(pid, dn, OtaCmdType.IOT_OTAG_MD5SUM, 33)
        flow("ota-update-firmware", version == "2.0.0" and size > 0, "version %s, %d bytes, md5 %s" % (version, size, md5sum))
        if q.otaDownloadStart(pid, dn, 0, size) != 0:
            return flow("ota-download", False, "otaDownloadStart failed")
        data = b""
        deadline = time.monotonic() + 15
        while not q.otaIsFetchFinished(pid, dn) and time.monotonic() < deadline:
            buf, n = q.otaFetchYield(pid, dn, 5000)
            if n < 0:
                return flow("ota-download", False, "otaFetchYield returned %d after %d bytes" % (n, len(data)))
            if n == 0:
                return flow("ota-download", False, "the download ended after %d of %d bytes" % (len(data), size))
            data += buf
        valid, state = q.otaIoctlNumber(pid, dn, OtaCmdType.IOT_OTAG_CHECK_FIRMWARE)
        own = hashlib.md5(data).hexdigest()
        ok = valid == 0 and own == md5sum and len(data) == size
        flow("ota-download", ok, "%d bytes, SDK MD5 check %r (%s), md5 of the bytes %s, update_firmware md5 %s" % (len(data), valid, state, own, md5sum))
        if not ok:
            q.otaReportUpgradeFail(pid, dn, None)
            return
        rc, mid = q.otaReportUpgradeSuccess(pid, dn, None)
        acked = rc == 0 and d.acked(mid)
        flow("ota-report-done", acked, "report_progress done published (rc %r), PUBACK %s" % (rc, "received" if acked else "missing"))
        emit({"event": "ota-done"})

    for name, fn in [("subscribe-publish", loop), ("ntp", ntp), ("shadow-get", shadow), ("remote-config", remote_config),
                     ("rrpc", rrpc), ("broadcast", broadcast), ("ota-report-version", ota)]:
        guarded(name, fn)
    q.disconnect()


# ---- role: dynreg


def dynreg_role(device_file):
    d = Device(device_file)
    q = d.qcloud
    rc, secret = q.dynregDevice()
    flow("dynreg", rc == 0 and bool(secret), "dynregDevice() = %r, %r" % (rc, "<secret>" if rc == 0 else secret))
    if rc != 0:
        return
    with open(device_file, encoding="utf-8") as f:
        stored = json.load(f)["key_deviceinfo"]["deviceSecret"]
    if not d.login():
        return flow("dynreg-login", False, "not connected with the registered secret (state %r)" % q.getConnectState())
    flow("dynreg-login", stored == secret, "connected; the SDK wrote the secret to its device file: %s" % (stored == secret))
    q.disconnect()


# ---- role: gateway


def gateway_role(device_file, sub_pid, sub_dn, sub_psk):
    d = Device(device_file)
    q = d.qcloud
    pid, dn = q.getProductID(), q.getDeviceName()
    if not d.login():
        return flow("gateway-login", False, "not connected within 10 s")
    rc, mid = q.gatewayInit()
    flow("gateway-login", rc == 0 and d.granted(mid), "gateway %s/%s connected, gatewayInit rc %r" % (pid, dn, rc))

    def subdev():
        subs = q.gatewaySubdevGetConfigList()
        if len(subs) != 1:
            return flow("gateway-subdev-online", False, "device file lists %d sub-devices" % len(subs))
        s = subs[0]
        rc, _ = q.gatewaySubdevOnline(s.product_id, s.device_name)
        flow("gateway-subdev-online", rc == 0, "online %s/%s: rc %r" % (s.product_id, s.device_name, rc))
        if rc != 0:
            return
        q.updateSubdevStatus(s.product_id, s.device_name, "online")
        topic = "%s/%s/data" % (s.product_id, s.device_name)
        q.registerUserCallback(topic, d.callback)
        rc, mid = q.gatewaySubdevSubscribe([(topic, 0)])
        if rc != 0 or not d.granted(mid):
            flow("gateway-subdev-publish", False, "subscribe %s as the sub-device: rc %r, granted %r" % (topic, rc, d.subacks.get(mid)))
        else:
            q.publish(topic, {"action": "gateway subdev publish", "nonce": sub_dn}, 1)
            got = wait_for(lambda: d.seen(lambda t, p: t == topic and p.get("nonce") == sub_dn), 5)
            flow("gateway-subdev-publish", got, "published on %s and received it back" % topic if got else "nothing back on %s" % topic)
        rc, _ = q.gatewaySubdevOffline(s.product_id, s.device_name)
        flow("gateway-subdev-offline", rc == 0, "offline: rc %r" % rc)
        q.updateSubdevStatus(s.product_id, s.device_name, "offline")

    def bind():
        rc, _ = q.gatewaySubdevBind(sub_pid, sub_dn, sub_psk)
        flow("gateway-bind", rc == 0, "bind %s/%s signed with its PSK: rc %r" % (sub_pid, sub_dn, rc))
        rc, devices = q.gatewaySubdevGetBindList(pid, dn)
        names = sorted("%s/%s" % (x.product_id, x.device_name) for x in devices)
        flow("gateway-bind-list", rc == 0 and "%s/%s" % (sub_pid, sub_dn) in names, "describe_sub_devices: rc %r, %s" % (rc, names))
        rc, _ = q.gatewaySubdevUnbind(sub_pid, sub_dn)
        flow("gateway-unbind", rc == 0, "unbind: rc %r" % rc)

    guarded("gateway-subdev-online", subdev)
    guarded("gateway-bind", bind)
    q.disconnect()


def main(argv):
    role = argv[1] if len(argv) > 1 else ""
    if role == "device" and len(argv) == 4:
        device_role(argv[2], argv[3])
    elif role == "dynreg" and len(argv) == 3:
        dynreg_role(argv[2])
    elif role == "gateway" and len(argv) == 6:
        gateway_role(argv[2], argv[3], argv[4], argv[5])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    code = 1
    try:
        code = main(sys.argv)
    finally:
        sys.stdout.flush()
        # the SDK's worker threads do not end on disconnect; leave without waiting for them
        os._exit(code)
