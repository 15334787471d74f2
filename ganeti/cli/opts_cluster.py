"""Options of the cluster, network and crypto commands (ganeti.cli.opts)."""

from ganeti.cli.opts import cli_option

# Cluster.
ENABLED_HV_OPT = cli_option("--enabled-hypervisors",
                            dest="enabled_hypervisors",
                            help="Comma-separated list of hypervisors",
                            type="string", default=None)

ENABLED_DISK_TEMPLATES_OPT = cli_option("--enabled-disk-templates",
                                        dest="enabled_disk_templates",
                                        help="Comma-separated list of disk"
                                             " templates",
                                        type="string", default=None)

CP_SIZE_OPT = cli_option("-C", "--candidate-pool-size", default=None,
                         dest="candidate_pool_size", type="int",
                         help="Set the candidate pool size")

MAX_RUNNING_JOBS_OPT = cli_option("--max-running-jobs",
                                  dest="max_running_jobs", type="int",
                                  default=None,
                                  help="The maximal number of jobs running"
                                       " simultaneously")

MAX_TRACKED_JOBS_OPT = cli_option("--max-tracked-jobs",
                                  dest="max_tracked_jobs", type="int",
                                  default=None,
                                  help="The maximal number of jobs tracked"
                                       " by the scheduler")

VG_NAME_OPT = cli_option("--vg-name", dest="vg_name", metavar="VG",
                         default=None,
                         help="Enables LVM and specifies the volume group"
                              " name (cluster-wide) for disk allocation")

MAC_PREFIX_OPT = cli_option("-m", "--mac-prefix", dest="mac_prefix",
                            metavar="PREFIX", default=None,
                            help="Specify the mac prefix for the instance"
                                 " IP addresses, in the format XX:XX:XX")

MASTER_NETDEV_OPT = cli_option("--master-netdev", dest="master_netdev",
                               metavar="NETDEV", default=None,
                               help="Specify the node interface (cluster-wide)"
                                    " on which the master IP address will be"
                                    " added (cluster init default: %s)"
                                    % "xen-br0")

MASTER_NETMASK_OPT = cli_option("--master-netmask", dest="master_netmask",
                                metavar="NETMASK", default=None,
                                help="Specify the netmask of the master IP")

USE_EXTERNAL_MIP_SCRIPT = cli_option("--use-external-mip-script",
                                     dest="use_external_mip_script",
                                     type="bool", default=None,
                                     metavar="yes|no",
                                     help="Specify whether to run a"
                                          " user-provided script for the"
                                          " master IP address turnup and"
                                          " turndown operations")

GLOBAL_FILEDIR_OPT = cli_option("--file-storage-dir", dest="file_storage_dir",
                                metavar="DIR", default=None,
                                help="Specify the default directory"
                                     " (cluster-wide) for storing the"
                                     " file-based disks")

GLOBAL_SHARED_FILEDIR_OPT = cli_option("--shared-file-storage-dir",
                                       dest="shared_file_storage_dir",
                                       metavar="SHAREDDIR", default=None,
                                       help="Specify the default directory"
                                            " (cluster-wide) for storing the"
                                            " shared file-based disks")

GLOBAL_GLUSTER_FILEDIR_OPT = cli_option("--gluster-storage-dir",
                                        dest="gluster_storage_dir",
                                        metavar="GLUSTERDIR",
                                        default="/var/run/ganeti/gluster",
                                        help="Specify the default directory"
                                             " (cluster-wide) for mounting"
                                             " Gluster file systems")

NOMODIFY_ETCHOSTS_OPT = cli_option("--no-etc-hosts", dest="modify_etc_hosts",
                                   help="Don't modify %s" % "/etc/hosts",
                                   action="store_false", default=True)

MODIFY_ETCHOSTS_OPT = cli_option("--modify-etc-hosts",
                                 dest="modify_etc_hosts", metavar="yes|no",
                                 type="bool", default=None,
                                 help="Defines whether the cluster should"
                                      " autonomously modify and keep in sync"
                                      " the /etc/hosts file of the nodes")

NOMODIFY_SSH_SETUP_OPT = cli_option("--no-ssh-init", dest="modify_ssh_setup",
                                    help="Don't initialize SSH keys",
                                    action="store_false", default=True)

ERROR_CODES_OPT = cli_option("--error-codes", dest="error_codes",
                             help="Enable parseable error messages",
                             action="store_true", default=False)

NONPLUS1_OPT = cli_option("--no-nplus1-mem", dest="skip_nplusone_mem",
                          help="Skip N+1 memory redundancy tests",
                          action="store_true", default=False)

NO_HV_PARAM_ASSESSMENT_OPT = cli_option("--no-hv-param-assessment",
                                        dest="skip_hvparam_assessment",
                                        action="store_true", default=False,
                                        help="Skip the hypervisor parameter"
                                             " assessment")

DEBUG_SIMERR_OPT = cli_option("--debug-simulate-errors", default=False,
                              action="store_true", dest="simulate_errors",
                              help="Debugging option that makes the operation"
                                   " treat most runtime checks as failed")

VERIFY_CLUTTER_OPT = cli_option("--verify-ssh-clutter", default=False,
                                dest="verify_clutter", action="store_true",
                                help="Verify that Ganeti did not clutter up"
                                     " the 'authorized_keys' file")

NO_STRICT_OPT = cli_option("--no-strict", dest="no_strict", default=False,
                           action="store_true",
                           help="Do not be strict about degraded disks")

UIDPOOL_OPT = cli_option("--uid-pool", default=None, action="store",
                         dest="uid_pool",
                         help="A list of user-ids or user-id ranges separated"
                              " by commas")

ADD_UIDS_OPT = cli_option("--add-uids", default=None, action="store",
                          dest="add_uids",
                          help="A list of user-ids or user-id ranges"
                               " separated by commas, to be added to the"
                               " user-id pool")

REMOVE_UIDS_OPT = cli_option("--remove-uids", default=None, action="store",
                             dest="remove_uids",
                             help="A list of user-ids or user-id ranges"
                                  " separated by commas, to be removed from"
                                  " the user-id pool")

RESERVED_LVS_OPT = cli_option("--reserved-lvs", default=None, action="store",
                              dest="reserved_lvs",
                              help="A comma-separated list of reserved"
                                   " logical volumes names, that will be"
                                   " ignored by cluster verify")

DRBD_HELPER_OPT = cli_option("--drbd-usermode-helper", dest="drbd_helper",
                             default=None,
                             help="Specifies usermode helper for DRBD")

PRIMARY_IP_VERSION_OPT = cli_option("--primary-ip-version", default=4,
                                    action="store", dest="primary_ip_version",
                                    metavar="%d|%d" % (4, 6),
                                    help="Cluster-wide IP version for primary"
                                         " IP")

PREALLOC_WIPE_DISKS_OPT = cli_option("--prealloc-wipe-disks",
                                     dest="prealloc_wipe_disks", type="bool",
                                     default=None, metavar="yes|no",
                                     help="Wipe disks prior to instance"
                                          " creation")

MAINTAIN_NODE_HEALTH_OPT = cli_option("--maintain-node-health",
                                      dest="maintain_node_health",
                                      metavar="yes|no", type="bool",
                                      default=None,
                                      help="Configure the cluster to"
                                           " automatically maintain node"
                                           " health, by shutting down unknown"
                                           " instances, shutting down unknown"
                                           " DRBD devices, etc.")

ENABLED_USER_SHUTDOWN_OPT = cli_option("--user-shutdown",
                                       dest="enabled_user_shutdown",
                                       type="bool", default=None,
                                       metavar="<bool>",
                                       help="Whether user shutdown is enabled")

INSTALL_IMAGE_OPT = cli_option("--install-image", dest="install_image",
                               action="store", type="string", default=None,
                               help="The OS image to use for running the OS"
                                    " scripts safely")

ZEROING_IMAGE_OPT = cli_option("--zeroing-image", dest="zeroing_image",
                               action="store", default=None,
                               help="The OS image to use to zero instance"
                                    " disks")

COMPRESSION_TOOLS_OPT = cli_option("--compression-tools",
                                   dest="compression_tools", type="string",
                                   default=None,
                                   help="The collection of compression tools"
                                        " which will be allowed for use")

INSTANCE_COMM_NETWORK_OPT = cli_option("--instance-communication-network",
                                       dest="instance_communication_network",
                                       type="string", default=None,
                                       help="Set the network name for"
                                            " instance communication")

SSH_KEY_TYPE_OPT = cli_option("--ssh-key-type", default=None,
                              choices=["dsa", "ecdsa", "rsa"],
                              dest="ssh_key_type",
                              help="Type of SSH key deployed by Ganeti for"
                                   " cluster actions")

SSH_KEY_BITS_OPT = cli_option("--ssh-key-bits", default=None, type="int",
                              dest="ssh_key_bits",
                              help="Length of SSH keys generated by Ganeti,"
                                   " in bits")

IPOLICY_BOUNDS_SPECS_OPT = cli_option("--ipolicy-bounds-specs",
                                      dest="ipolicy_bounds_specs",
                                      type="multilistidentkeyval",
                                      default=None,
                                      help="Complete instance specs limits")

IPOLICY_STD_SPECS_OPT = cli_option("--ipolicy-std-specs",
                                   dest="ipolicy_std_specs", type="keyval",
                                   default=None,
                                   help="Complete standard instance specs")

IPOLICY_DISK_TEMPLATES = cli_option("--ipolicy-disk-templates",
                                    dest="ipolicy_disk_templates",
                                    type="list", default=None,
                                    help="Comma-separated list of enabled"
                                         " disk templates")

IPOLICY_VCPU_RATIO = cli_option("--ipolicy-vcpu-ratio",
                                dest="ipolicy_vcpu_ratio",
                                type="maybefloat", default=None,
                                help="The maximum allowed vcpu-to-cpu ratio")

IPOLICY_SPINDLE_RATIO = cli_option("--ipolicy-spindle-ratio",
                                   dest="ipolicy_spindle_ratio",
                                   type="maybefloat", default=None,
                                   help="The maximum allowed instances to"
                                        " spindle ratio")

SPECS_CPU_COUNT_OPT = cli_option("--specs-cpu-count", dest="ispecs_cpu_count",
                                 type="keyval", default={},
                                 help="CPU count specs: min, max, std")

SPECS_DISK_COUNT_OPT = cli_option("--specs-disk-count",
                                  dest="ispecs_disk_count", type="keyval",
                                  default={},
                                  help="Disk count specs: min, max, std")

SPECS_DISK_SIZE_OPT = cli_option("--specs-disk-size",
                                 dest="ispecs_disk_size", type="keyval",
                                 default={},
                                 help="Disk size specs: min, max, std (in MB)")

SPECS_MEM_SIZE_OPT = cli_option("--specs-mem-size", dest="ispecs_mem_size",
                                type="keyval", default={},
                                help="Memory size specs: min, max, std"
                                     " (in MB)")

SPECS_NIC_COUNT_OPT = cli_option("--specs-nic-count",
                                 dest="ispecs_nic_count", type="keyval",
                                 default={},
                                 help="NIC count specs: min, max, std")

INSTANCE_POLICY_OPTS = [
    IPOLICY_BOUNDS_SPECS_OPT,
    IPOLICY_DISK_TEMPLATES,
    IPOLICY_VCPU_RATIO,
    IPOLICY_SPINDLE_RATIO,
]

SPLIT_ISPECS_OPTS = [
    SPECS_CPU_COUNT_OPT,
    SPECS_DISK_COUNT_OPT,
    SPECS_DISK_SIZE_OPT,
    SPECS_MEM_SIZE_OPT,
    SPECS_NIC_COUNT_OPT,
]

# Networks.
NETWORK_OPT = cli_option("--network", action="store", default=None,
                         dest="network",
                         help="IP network in CIDR notation")

GATEWAY_OPT = cli_option("--gateway", action="store", default=None,
                         dest="gateway", help="IP address of the router"
                                              " (gateway)")

ADD_RESERVED_IPS_OPT = cli_option("--add-reserved-ips", action="store",
                                  default=None, dest="add_reserved_ips",
                                  help="Comma-separated list of reserved IPs"
                                       " to add")

REMOVE_RESERVED_IPS_OPT = cli_option("--remove-reserved-ips",
                                     action="store", default=None,
                                     dest="remove_reserved_ips",
                                     help="Comma-delimited list of reserved"
                                          " IPs to remove")

NETWORK6_OPT = cli_option("--network6", action="store", default=None,
                          dest="network6",
                          help="IP network in CIDR notation")

GATEWAY6_OPT = cli_option("--gateway6", action="store", default=None,
                          dest="gateway6",
                          help="IP6 address of the router (gateway)")

# Crypto renewal.
NEW_CLUSTER_CERT_OPT = cli_option("--new-cluster-certificate",
                                  dest="new_cluster_cert", default=False,
                                  action="store_true",
                                  help="Generate a new cluster certificate")

NEW_NODE_CERT_OPT = cli_option("--new-node-certificates",
                               dest="new_node_cert", default=False,
                               action="store_true",
                               help="Generate new node certificates (for"
                                    " all nodes)")

NEW_SSH_KEY_OPT = cli_option("--new-ssh-keys", dest="new_ssh_keys",
                             default=False, action="store_true",
                             help="Generate new node SSH keys (for all"
                                  " nodes)")

RAPI_CERT_OPT = cli_option("--rapi-certificate", dest="rapi_cert",
                           default=None,
                           help="File containing new RAPI certificate")

NEW_RAPI_CERT_OPT = cli_option("--new-rapi-certificate", dest="new_rapi_cert",
                               default=None, action="store_true",
                               help="Generate a new self-signed RAPI"
                                    " certificate")

SPICE_CERT_OPT = cli_option("--spice-certificate", dest="spice_cert",
                            default=None,
                            help="File containing new SPICE certificate")

SPICE_CACERT_OPT = cli_option("--spice-ca-certificate", dest="spice_cacert",
                              default=None,
                              help="File containing the certificate of the"
                                   " CA which signed the SPICE certificate")

NEW_SPICE_CERT_OPT = cli_option("--new-spice-certificate",
                                dest="new_spice_cert", default=None,
                                action="store_true",
                                help="Generate a new self-signed SPICE"
                                     " certificate")

NEW_CONFD_HMAC_KEY_OPT = cli_option("--new-confd-hmac-key",
                                    dest="new_confd_hmac_key",
                                    default=False, action="store_true",
                                    help="Create a new HMAC key for"
                                         " ganeti-confd")

CLUSTER_DOMAIN_SECRET_OPT = cli_option("--cluster-domain-secret",
                                       dest="cluster_domain_secret",
                                       default=None,
                                       help="Load new cluster domain secret"
                                            " from file")

NEW_CLUSTER_DOMAIN_SECRET_OPT = cli_option("--new-cluster-domain-secret",
                                           dest="new_cluster_domain_secret",
                                           default=False,
                                           action="store_true",
                                           help="Create a new cluster domain"
                                                " secret")
