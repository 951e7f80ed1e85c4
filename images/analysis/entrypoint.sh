#!/bin/sh
# Hearth analysis machine entrypoint (PID 1 until it execs sshd).
#
# HEARTH_AUTHORIZED_KEYS  newline-separated public keys allowed to log in as root: the
#                         installation's key for readiness probes and personalization.
set -eu

# A new machine makes its own host keys; a restarted one keeps them. Only ed25519 and ECDSA
# (sshd_config lists just these): `ssh-keygen -A` would add an RSA key, whose prime search
# takes from 0.3 s to over 2 s here and would sit on every machine's boot path.
for type in ed25519 ecdsa; do
  key=/etc/ssh/ssh_host_${type}_key
  [ -s "$key" ] || ssh-keygen -q -t "$type" -N '' -C "root@$(hostname)" -f "$key"
done

install -d -m 0755 /run/sshd
install -d -m 0700 /root/.ssh
# Written on every start, so the keys are exactly those the machine was launched with.
printf '%s\n' "${HEARTH_AUTHORIZED_KEYS:-}" | sed '/^[[:space:]]*$/d' > /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
unset HEARTH_AUTHORIZED_KEYS

exec /usr/sbin/sshd -D -e
