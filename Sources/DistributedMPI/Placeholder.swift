// MPICommunicator lands here.
