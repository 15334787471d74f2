"""Built-in parameter defaults (upstream 3.0 values) and fill helpers."""

import copy
from typing import Dict

from ganeti import pathutils
from ganeti.constants import (
    DT_BLOCK, DT_DISKLESS, DT_DRBD8, DT_EXT,
    DT_FILE, DT_GLUSTER, DT_PLAIN, DT_RBD, DT_SHARED_FILE, DISK_TEMPLATES)


# Hypervisor parameter defaults of upstream 3.0 (its /2/info output).
HVC_DEFAULTS: Dict[str, dict] = {'chroot': {'init_script': '/ganeti-chroot'},
 'fake': {'migration_mode': 'live'},
 'kvm': {'acpi': True,
         'boot_order': 'disk',
         'cdrom2_image_path': '',
         'cdrom_disk_type': '',
         'cdrom_image_path': '',
         'cpu_cores': 0,
         'cpu_mask': 'all',
         'cpu_sockets': 0,
         'cpu_threads': 0,
         'cpu_type': '',
         'disk_aio': 'threads',
         'disk_cache': 'default',
         'disk_discard': 'default',
         'disk_type': 'paravirtual',
         'floppy_image_path': '',
         'initrd_path': '',
         'kernel_args': 'ro',
         'kernel_path': '/boot/vmlinuz-3-kvmU',
         'keymap': '',
         'kvm_extra': '',
         'kvm_flag': '',
         'kvm_path': pathutils.KVM_PATH,
         'kvm_pci_reservations': 12,
         'machine_version': '',
         'mem_path': '',
         'migration_bandwidth': 32,
         'migration_caps': '',
         'migration_downtime': 30,
         'migration_mode': 'live',
         'migration_port': 8102,
         'nic_type': 'paravirtual',
         'reboot_behavior': 'reboot',
         'root_path': '/dev/vda1',
         'scsi_controller_type': 'lsi',
         'security_domain': '',
         'security_model': 'none',
         'serial_console': True,
         'serial_speed': 38400,
         'soundhw': '',
         'spice_bind': '',
         'spice_image_compression': '',
         'spice_ip_version': 0,
         'spice_jpeg_wan_compression': '',
         'spice_password_file': '',
         'spice_playback_compression': True,
         'spice_streaming_video': '',
         'spice_tls_ciphers': 'HIGH:-DES:-3DES:-EXPORT:-DH',
         'spice_use_tls': False,
         'spice_use_vdagent': True,
         'spice_zlib_glz_wan_compression': '',
         'usb_devices': '',
         'usb_mouse': '',
         'use_chroot': False,
         'use_guest_agent': False,
         'use_localtime': False,
         'user_shutdown': False,
         'vga': '',
         'vhost_net': False,
         'virtio_net_queues': 1,
         'vnc_bind_address': '',
         'vnc_password_file': '',
         'vnc_tls': False,
         'vnc_x509_path': '',
         'vnc_x509_verify': False,
         'vnet_hdr': True},
 'lxc': {'cpu_mask': '',
         'devices': 'c 1:3 rw,c 1:5 rw,c 1:7 rw,c 1:8 rw,c 1:9 rw,c 1:10 rw,c '
                    '5:0 rw,c 5:1 rw,c 5:2 rw,c 136:* rw',
         'drop_capabilities': 'mac_override,sys_boot,sys_module,sys_time,sys_admin',
         'extra_cgroups': '',
         'extra_config': '',
         'num_ttys': 6,
         'startup_timeout': 30},
 'xen-hvm': {'acpi': True,
             'blockdev_prefix': 'hd',
             'boot_order': 'cd',
             'cdrom_image_path': '',
             'cpu_cap': 0,
             'cpu_mask': 'all',
             'cpu_weight': 256,
             'cpuid': '',
             'device_model': '/usr/lib/xen/bin/qemu-dm',
             'disk_type': 'paravirtual',
             'kernel_path': '/usr/lib/xen/boot/hvmloader',
             'migration_mode': 'non-live',
             'migration_port': 8002,
             'nic_type': 'rtl8139',
             'pae': True,
             'pci_pass': '',
             'reboot_behavior': 'reboot',
             'soundhw': '',
             'use_localtime': False,
             'vif_script': '',
             'vif_type': 'ioemu',
             'viridian': False,
             'vnc_bind_address': '0.0.0.0',
             'vnc_password_file': '/etc/ganeti/vnc-cluster-password',
             'xen_cmd': 'xm'},
 'xen-pvm': {'blockdev_prefix': 'sd',
             'bootloader_args': '',
             'bootloader_path': '',
             'cpu_cap': 0,
             'cpu_mask': 'all',
             'cpu_weight': 256,
             'cpuid': '',
             'initrd_path': '',
             'kernel_args': 'ro',
             'kernel_path': '/boot/vmlinuz-3-xenU',
             'migration_mode': 'live',
             'migration_port': 8002,
             'reboot_behavior': 'reboot',
             'root_path': '/dev/xvda1',
             'soundhw': '',
             'use_bootloader': False,
             'vif_script': '',
             'xen_cmd': 'xm'}}

BEC_DEFAULTS = {"always_failover": False, "auto_balance": True,
                "maxmem": 128, "minmem": 128, "spindle_use": 1, "vcpus": 1}

DEFAULT_BRIDGE = "xen-br0"
NICC_DEFAULTS = {"link": DEFAULT_BRIDGE, "mode": "bridged", "vlan": ""}

# cpu_speed and the ipolicy ratios are floats; whole ones are ints here, as
# upstream's configuration and answers carry them (serializer.JsonNumber).
NDC_DEFAULTS = {"cpu_speed": 1, "exclusive_storage": False,
                "oob_program": "", "ovs": False, "ovs_link": "",
                "ovs_name": "switch1", "spindle_count": 1, "ssh_port": 22}

DEFAULT_VG = "xenvg"
DISK_DT_DEFAULTS: Dict[str, dict] = {
    DT_BLOCK: {}, DT_DISKLESS: {},
    DT_DRBD8: {"c-delay-target": 1, "c-fill-target": 0, "c-max-rate": 61440,
               "c-min-rate": 4096, "c-plan-ahead": 20, "data-stripes": 1,
               "disk-barriers": "n", "disk-custom": "",
               "dynamic-resync": False, "meta-barriers": False,
               "meta-stripes": 1, "metavg": DEFAULT_VG, "net-custom": "",
               "protocol": "C", "resync-rate": 61440},
    DT_EXT: {"access": "kernelspace"}, DT_FILE: {},
    DT_GLUSTER: {"access": "kernelspace", "host": "127.0.0.1", "port": 24007,
                 "volume": "gv0"},
    DT_PLAIN: {"stripes": 1},
    DT_RBD: {"access": "kernelspace", "pool": "rbd"},
    DT_SHARED_FILE: {},
}

IPOLICY_DEFAULTS = {
    "minmax": [{
        "min": {"cpu-count": 1, "disk-count": 1, "disk-size": 1024,
                "memory-size": 128, "nic-count": 1, "spindle-use": 1},
        "max": {"cpu-count": 8, "disk-count": 16, "disk-size": 1048576,
                "memory-size": 32768, "nic-count": 8, "spindle-use": 12},
    }],
    "std": {"cpu-count": 1, "disk-count": 1, "disk-size": 1024,
            "memory-size": 128, "nic-count": 1, "spindle-use": 1},
    "disk-templates": list(DISK_TEMPLATES),
    "vcpu-ratio": 4,
    "spindle-ratio": 32,
}

DATA_COLLECTORS = ["cpu-avg-load", "diskstats", "drbd", "inst-status-xen",
                   "lv", "xen-cpu-avg-load"]

# Scalar cluster attributes and their defaults when absent.
CLUSTER_SCALARS = {
    "candidate_pool_size": 10, "max_running_jobs": 20, "max_tracked_jobs": 25,
    "mac_prefix": "aa:00:00", "master_netmask": 32,
    "use_external_mip_script": False, "modify_etc_hosts": True,
    "modify_ssh_setup": True, "maintain_node_health": False, "uid_pool": [],
    "default_iallocator": "", "default_iallocator_params": {},
    "hidden_os": [], "blacklisted_os": [], "primary_ip_family": 2,
    "prealloc_wipe_disks": False, "hv_state_static": {},
    "disk_state_static": {}, "candidate_certs": {}, "os_hvp": {},
    "osparams": {}, "osparams_private_cluster": {}, "reserved_lvs": [],
    "tcpudp_port_pool": [], "highest_used_port": 32000,
    "install_image": "", "instance_communication_network": "",
    "zeroing_image": "", "compression_tools": ["gzip", "gzip-fast", "gzip-slow"],
    "enabled_user_shutdown": False, "ssh_key_type": "rsa", "ssh_key_bits": 2048,
    "file_storage_dir": "", "shared_file_storage_dir": "",
    "gluster_storage_dir": "", "tags": [],
    "data_collectors": {name: {"active": True, "interval": 5000000.0}
                        for name in DATA_COLLECTORS},
}


def fill(defaults_dict: dict, custom: dict) -> dict:
    """Return defaults overridden by custom (neither is modified)."""
    result = copy.deepcopy(defaults_dict)
    result.update(copy.deepcopy(custom))
    return result


def fill_dict_of_dicts(defaults_dict: Dict[str, dict],
                       custom: Dict[str, dict]) -> Dict[str, dict]:
    result = {}
    for key in set(defaults_dict) | set(custom):
        result[key] = fill(defaults_dict.get(key, {}), custom.get(key, {}))
    return result
