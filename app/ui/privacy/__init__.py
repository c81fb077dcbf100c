"""What the window shows of a chat's privacy: the lock in the chat header, the unlock
confirmation and the "Sent off this computer" view."""
