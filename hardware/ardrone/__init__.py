"""Parrot AR.Drone 2.0 over its Wi-Fi protocol: AT commands (UDP 5556), navdata (UDP 5554).

Reference: ../shared/reference/ardrone2_protocol.md. Standard library only for the wire formats.
"""
